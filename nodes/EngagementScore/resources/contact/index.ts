import type { INodeProperties } from 'n8n-workflow';
import type { Operation } from '../types';
import { filterContacts } from './filter';
import { getContact } from './get';
import { upsertContact } from './upsert';

export const contactOperations: Record<string, Operation> = { filter: filterContacts, get: getContact, upsert: upsertContact };

export const contactOperationField: INodeProperties = {
  displayName: 'Operation',
  name: 'operation',
  type: 'options',
  noDataExpression: true,
  displayOptions: { show: { resource: ['contact'] } },
  default: 'filter',
  options: [
    { name: 'Filter', value: 'filter', action: 'Filter contacts', description: 'List contacts by score, band, tags, account or owner' },
    { name: 'Get', value: 'get', action: 'Get a contact', description: 'Get a contact with its score in every published profile' },
    {
      name: 'Create or Update',
      value: 'upsert',
      action: 'Create or update a contact',
      description: 'Create a new record, or update the current one if it already exists (upsert)',
    },
  ],
};
