import type { INode, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

type DescribedError = Error & { description?: string | null; httpCode?: string | null };

/** What "Continue On Fail" outputs for a failed input item: the error, paired with that item. */
export function errorItem(error: DescribedError, itemIndex: number): INodeExecutionData {
  return {
    json: {
      error: error.message,
      ...(error.description ? { description: error.description } : {}),
      ...(error.httpCode ? { httpCode: error.httpCode } : {}),
    },
    pairedItem: { item: itemIndex },
  };
}

/** n8n's errors pass through unchanged; anything else is wrapped so n8n shows it next to its item. */
export function asNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  return new NodeOperationError(node, error as Error, { itemIndex });
}
