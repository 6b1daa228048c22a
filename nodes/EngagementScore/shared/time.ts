import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError, tryToParseDateTime } from 'n8n-workflow';

/**
 * The service wants ISO 8601 with a time zone. A date picked in the editor has none, so it is read
 * in the workflow's time zone, as n8n's own nodes do.
 */
export function toIsoDateTime(context: IExecuteFunctions, value: unknown, field: string, itemIndex: number): string {
  let iso: string | null = null;
  try {
    iso = tryToParseDateTime(value, context.getTimezone()).toUTC().toISO();
  } catch {
    iso = null;
  }
  if (!iso) {
    throw new NodeOperationError(context.getNode(), `${field} is not a date and time: ${JSON.stringify(value)}`, {
      itemIndex,
      description: 'Use an ISO 8601 date such as 2026-11-23T09:30:00Z, or pick one in the date picker.',
    });
  }
  return iso;
}
