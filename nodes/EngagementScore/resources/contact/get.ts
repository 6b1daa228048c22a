import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [contactIdField];

/** The contact with its score and band in every published profile. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  return apiRequest(this, { method: 'GET', path: `/v1/contacts/${pathSegment(contactId(this, itemIndex))}`, itemIndex });
}

export const getContact: ItemOperation = { mode: 'perItem', properties, execute };
