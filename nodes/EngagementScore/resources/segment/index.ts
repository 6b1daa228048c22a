import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { createSegment } from './create';
import { deleteSegment } from './delete';
import { getSegment } from './get';
import { getManySegments } from './getAll';
import { getSegmentMembers } from './getMembers';
import { updateSegment } from './update';

export const segmentOperations: Record<string, Operation> = {
  create: createSegment,
  delete: deleteSegment,
  get: getSegment,
  getAll: getManySegments,
  getMembers: getSegmentMembers,
  update: updateSegment,
};

export const segmentOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['segment'] } },
  default: 'getAll',
  options: [
    {
      name: 'Create',
      value: 'create',
      action: 'Create a segment',
      description: 'Save a named contact filter (a smart list) that stays current',
    },
    { name: 'Delete', value: 'delete', action: 'Delete a segment', description: 'Delete a segment; its subscriptions end with it' },
    { name: 'Get', value: 'get', action: 'Get a segment', description: 'Get a segment with its filter and its size now' },
    { name: 'Get Many', value: 'getAll', action: 'Get many segments', description: 'Get the segments, each with its size now' },
    {
      name: 'Get Members',
      value: 'getMembers',
      action: 'Get the members of a segment',
      description: 'Get the contacts in a segment now, with their score and band when it has a profile',
    },
    {
      name: 'Update',
      value: 'update',
      action: 'Update a segment',
      description: "Change a segment's name, description or filter",
    },
  ],
};
