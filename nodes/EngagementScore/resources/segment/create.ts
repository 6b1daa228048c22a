import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { apiRequest } from '../../transport/request';
import type { ItemOperation } from '../types';
import { filterFrom, segmentFiltersField, segmentProfileField } from './shared';

const properties: INodeProperties[] = [
  {
    displayName: 'Name',
    name: 'name',
    type: 'string',
    default: '',
    required: true,
    placeholder: 'e.g. VIPs going cold',
    description: 'Unique in the workspace (whatever the case)',
  },
  segmentProfileField('The profile whose scores the segment filters by (needed by the score range and band). Optional.'),
  segmentFiltersField('Who is in the segment: every condition given must hold. No filter: every contact.'),
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    options: [{ displayName: 'Description', name: 'description', type: 'string', default: '', typeOptions: { rows: 2 } }],
  },
];

/** Saves a segment; the answer carries its size now. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const name = (this.getNodeParameter('name', itemIndex) as string).trim();
  if (!name) throw new NodeOperationError(this.getNode(), 'Name is empty', { itemIndex });
  const { description } = this.getNodeParameter('additionalFields', itemIndex, {}) as { description?: string };
  const body: IDataObject = { name, filter: filterFrom(this, itemIndex) };
  if (description?.trim()) body.description = description.trim();
  return apiRequest(this, { method: 'POST', path: '/v1/segments', body, itemIndex });
}

export const createSegment: ItemOperation = { mode: 'perItem', properties, execute };
