import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { getRelationships } from './get';

export const relationshipOperations: Record<string, Operation> = { get: getRelationships };

export const relationshipOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['relationship'] } },
  default: 'get',
  options: [
    {
      name: 'Get',
      value: 'get',
      action: 'Get who knows a contact best',
      description: 'Get the team members ranked by the strength of their relationship with a contact',
    },
  ],
};
