import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { getScore } from './get';
import { getScoreHistory } from './getHistory';
import { updateScore } from './update';

export const scoreOperations: Record<string, Operation> = { get: getScore, getHistory: getScoreHistory, update: updateScore };

export const scoreOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['score'] } },
  default: 'get',
  options: [
    { name: 'Get', value: 'get', action: 'Get a score', description: "Get a contact's score with its band, trend and explanation" },
    { name: 'Get History', value: 'getHistory', action: 'Get score history', description: "Get a contact's score over time" },
    {
      name: 'Update',
      value: 'update',
      action: 'Update a score',
      description: 'Add points, subtract points or set the score, with a reason',
    },
  ],
};
