import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { getAccount } from './get';

export const accountOperations: Record<string, Operation> = { get: getAccount };

export const accountOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['account'] } },
  default: 'get',
  options: [
    {
      name: 'Get',
      value: 'get',
      action: 'Get an account',
      description: "Get an account's score rolled up from its contacts, with its contacts and strongest team members",
    },
  ],
};
