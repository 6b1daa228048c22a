import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { deleteContact } from './delete';
import { getContact } from './get';
import { getManyContacts } from './getAll';
import { getContactTimeline } from './getTimeline';
import { upsertContact } from './upsert';

export const contactOperations: Record<string, Operation> = {
  delete: deleteContact,
  // Version 1 stored the list operation as `filter`: those workflows keep running it.
  filter: getManyContacts,
  get: getContact,
  getAll: getManyContacts,
  getTimeline: getContactTimeline,
  upsert: upsertContact,
};

export const contactOperationFields: INodeProperties[] = [
  {
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['contact'], '@version': [{ _cnd: { gte: 2 } }] } },
    default: 'getAll',
    options: [
      {
        name: 'Create or Update',
        value: 'upsert',
        action: 'Create or update a contact',
        description: 'Create a new record, or update the current one if it already exists (upsert)',
      },
      {
        name: 'Delete',
        value: 'delete',
        action: 'Delete a contact',
        description: 'Erase a contact with its interactions, ledger and score history',
      },
      { name: 'Get', value: 'get', action: 'Get a contact', description: 'Get a contact with its score in every published profile' },
      {
        name: 'Get Many',
        value: 'getAll',
        action: 'Get many contacts',
        description: 'Get many contacts, filtered by score, band, tags, account or owner',
      },
      {
        name: 'Get Timeline',
        value: 'getTimeline',
        action: 'Get the timeline of a contact',
        description: 'Get the interactions of a contact, newest first, with who they were with and what each earned',
      },
    ],
  },
  {
    // Version 1 nodes, whose list operation is stored as `filter`: the same operations under the same names.
    displayName: 'Operation',
    name: 'operation',
    type: 'options',
    noDataExpression: true,
    displayOptions: { show: { resource: ['contact'], '@version': [1] } },
    default: 'filter',
    options: [
      {
        name: 'Create or Update',
        value: 'upsert',
        action: 'Create or update a contact',
        description: 'Create a new record, or update the current one if it already exists (upsert)',
      },
      {
        name: 'Delete',
        value: 'delete',
        action: 'Delete a contact',
        description: 'Erase a contact with its interactions, ledger and score history',
      },
      { name: 'Get', value: 'get', action: 'Get a contact', description: 'Get a contact with its score in every published profile' },
      {
        name: 'Get Many',
        value: 'filter',
        action: 'Get many contacts',
        description: 'Get many contacts, filtered by score, band, tags, account or owner',
      },
      {
        name: 'Get Timeline',
        value: 'getTimeline',
        action: 'Get the timeline of a contact',
        description: 'Get the interactions of a contact, newest first, with who they were with and what each earned',
      },
    ],
  },
];
