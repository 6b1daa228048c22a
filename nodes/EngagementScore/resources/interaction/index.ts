import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { recordInteractions } from './record';

export const interactionOperations: Record<string, Operation> = { record: recordInteractions };

export const interactionOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['interaction'] } },
  default: 'record',
  options: [
    {
      name: 'Record',
      value: 'record',
      action: 'Record interactions',
      description: 'Record every input item as an interaction (emails, meetings, calls, form submissions…), sent in batches',
    },
  ],
};
