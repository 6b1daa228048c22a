import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { returnAllAndLimit, segmentId, segmentLocator } from '../../shared/fields';
import type { ItemOperation } from '../types';
import { membersSortField, readMembers } from './shared';

const properties: INodeProperties[] = [segmentLocator('The segment whose members to get'), ...returnAllAndLimit, membersSortField];

/** One output item per member now, with score and band when the segment has a profile. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  return readMembers(this, itemIndex, segmentId(this, itemIndex));
}

export const getSegmentMembers: ItemOperation = { mode: 'perItem', properties, execute };
