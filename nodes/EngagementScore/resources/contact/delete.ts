import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  contactLocator('The contact to erase, with its interactions, ledger and score history. This cannot be undone.'),
];

/** Erases the contact; a contact that does not exist is an error (404), so a typo does not pass silently. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const id = contactId(this, itemIndex);
  await apiRequest(this, { method: 'DELETE', path: `/v1/contacts/${pathSegment(id)}`, itemIndex });
  return { deleted: true, contactId: id };
}

export const deleteContact: ItemOperation = { mode: 'perItem', properties, execute };
