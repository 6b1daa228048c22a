import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { publishProfile } from './publish';

export const profileOperations: Record<string, Operation> = { publish: publishProfile };

export const profileOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['profile'] } },
  default: 'publish',
  options: [
    {
      name: 'Publish',
      value: 'publish',
      action: 'Publish a profile',
      description: 'Make the saved draft the live version, optionally waiting until every contact is scored with it',
    },
  ],
};
