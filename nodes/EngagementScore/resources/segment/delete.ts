import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { segmentId, segmentLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  segmentLocator('The segment to delete. Its subscriptions (and triggers listening to it) end with it.'),
];

/** Deletes the segment; one that does not exist is an error (404), so a typo does not pass silently. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const id = segmentId(this, itemIndex);
  await apiRequest(this, { method: 'DELETE', path: `/v1/segments/${pathSegment(id)}`, itemIndex });
  return { deleted: true, segmentId: id };
}

export const deleteSegment: ItemOperation = { mode: 'perItem', properties, execute };
