import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { segmentId, segmentLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [segmentLocator('The segment to get')];

/** The segment with its filter and its size now. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  return apiRequest(this, { method: 'GET', path: `/v1/segments/${pathSegment(segmentId(this, itemIndex))}`, itemIndex });
}

export const getSegment: ItemOperation = { mode: 'perItem', properties, execute };
