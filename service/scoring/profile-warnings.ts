import { didYouMean } from '../names';
import type { ProfileDocument } from './profile';
import { parseOperator } from './rules/operators';
import { parsePath } from './rules/paths';

/**
 * Warnings about a valid profile, given what the workspace's data looks like: a path no stored
 * interaction (or contact) has ever had, such as `$.tpye` or `$.properties.amuont`, and an interaction
 * type never recorded. They do not make a profile invalid (the data may simply not have arrived yet).
 */

export type DataShapes = { types: readonly string[]; properties: readonly string[]; attributes: readonly string[]; complete: boolean };
export type ProfileWarning = { path: string; message: string };

const INTERACTION_FIELDS = ['id', 'type', 'occurredAt', 'actorId', 'channel', 'direction', 'properties'];
const CONTACT_FIELDS = ['id', 'tags', 'attributes', 'accountId', 'ownerId'];
const MAX_DEPTH = 3;
const MAX_PATH_LENGTH = 200;

/** Dotted paths of an object's keys, nested up to three levels (arrays are leaves). */
export function objectPaths(value: unknown, prefix = '', depth = 0, into = new Set<string>()): Set<string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || depth >= MAX_DEPTH) return into;
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (path.length > MAX_PATH_LENGTH) continue;
    into.add(path);
    objectPaths(child, path, depth + 1, into);
  }
  return into;
}

const listed = (values: readonly string[]) =>
  values.length === 0 ? 'none yet' : `${values.slice(0, 12).join(', ')}${values.length > 12 ? `, … (${values.length} in all)` : ''}`;

/** The string segments of a path, up to its first list index. */
function keyPath(path: string): string[] | undefined {
  const parsed = parsePath(path);
  if (typeof parsed === 'string') return undefined;
  const keys: string[] = [];
  for (const segment of parsed) {
    if (typeof segment === 'number') break;
    keys.push(segment);
  }
  return keys;
}

function checkFactCondition(node: Record<string, unknown>, at: string, shapes: DataShapes, warnings: ProfileWarning[]) {
  const { fact, path } = node;
  if (typeof path !== 'string' || (fact !== 'interaction' && fact !== 'contact')) return;
  const keys = keyPath(path);
  if (!keys || keys.length === 0) return;
  const [first, ...rest] = keys as [string, ...string[]];
  const fields = fact === 'interaction' ? INTERACTION_FIELDS : CONTACT_FIELDS;
  if (!fields.includes(first)) {
    warnings.push({
      path: `${at}.path`,
      message: `the ${fact} has no field "${first}" (it has ${fields.join(', ')}), so this condition never sees a value.${didYouMean(first, fields)}`,
    });
    return;
  }
  const nested = (fact === 'interaction' && first === 'properties') || (fact === 'contact' && first === 'attributes');
  if (nested && rest.length > 0 && shapes.complete) {
    const seen = fact === 'interaction' ? shapes.properties : shapes.attributes;
    const wanted = rest.join('.');
    if (!seen.includes(wanted)) {
      const where = fact === 'interaction' ? 'no stored interaction has had the property' : 'no contact has had the attribute';
      warnings.push({ path: `${at}.path`, message: `${where} "${wanted}" so far (seen: ${listed(seen)}).${didYouMean(wanted, seen)}` });
    }
  }
  // Comparing the interaction type with a type never recorded here.
  if (fact === 'interaction' && first === 'type' && rest.length === 0 && shapes.types.length > 0 && shapes.complete) {
    const operator = typeof node.operator === 'string' ? parseOperator(node.operator) : undefined;
    if (!operator || operator.decorators.length > 0) return;
    const values =
      operator.operator === 'equal' || operator.operator === 'notEqual'
        ? [node.value]
        : operator.operator === 'in' || operator.operator === 'notIn'
          ? Array.isArray(node.value)
            ? node.value
            : []
          : [];
    values.forEach((value, index) => {
      if (typeof value !== 'string' || shapes.types.includes(value)) return;
      const valuePath = Array.isArray(node.value) ? `${at}.value.${index}` : `${at}.value`;
      warnings.push({
        path: valuePath,
        message: `no interaction of type "${value}" has been recorded in this workspace (types seen: ${listed(shapes.types)}).${didYouMean(value, shapes.types)}`,
      });
    });
  }
}

function walk(node: unknown, at: string, shapes: DataShapes, warnings: ProfileWarning[], depth = 0): void {
  if (node === null || typeof node !== 'object' || Array.isArray(node) || depth > 20) return;
  const record = node as Record<string, unknown>;
  for (const key of ['all', 'any'] as const) {
    if (Array.isArray(record[key]))
      (record[key] as unknown[]).forEach((child, index) => walk(child, `${at}.${key}.${index}`, shapes, warnings, depth + 1));
  }
  if (record.not !== undefined) walk(record.not, `${at}.not`, shapes, warnings, depth + 1);
  if (typeof record.fact === 'string') {
    checkFactCondition(record, at, shapes, warnings);
    const value = record.value as Record<string, unknown> | null;
    if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.fact === 'string')
      checkFactCondition(value, `${at}.value`, shapes, warnings);
  }
}

export function profileWarnings(document: ProfileDocument, shapes: DataShapes): ProfileWarning[] {
  const warnings: ProfileWarning[] = [];
  (document.rules ?? []).forEach((rule, index) => walk(rule.conditions, `rules.${index}.conditions`, shapes, warnings));
  for (const [name, condition] of Object.entries(document.conditions ?? {})) walk(condition, `conditions.${name}`, shapes, warnings);
  (document.suggestions ?? []).forEach((suggestion, index) =>
    walk(suggestion.conditions, `suggestions.${index}.conditions`, shapes, warnings),
  );
  if (document.kind !== 'manual' && shapes.types.length === 0)
    warnings.push({
      path: '(document)',
      message: 'this workspace has no interactions yet, so paths and types cannot be checked against real data',
    });
  return warnings;
}
