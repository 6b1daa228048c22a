import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { getInsights } from './get';

export const insightOperations: Record<string, Operation> = { get: getInsights };

export const insightOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['insight'] } },
  default: 'get',
  options: [
    {
      name: 'Get',
      value: 'get',
      action: 'Get the network review',
      description: 'Get the weekly review: bands then and now, risers, fallers and who needs attention',
    },
  ],
};
