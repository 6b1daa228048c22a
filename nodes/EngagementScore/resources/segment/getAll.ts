import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { returnAllAndLimit } from '../../shared/fields';
import { apiRequest } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [...returnAllAndLimit];

/** One output item per segment, each with its size now. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const returnAll = this.getNodeParameter('returnAll', itemIndex) === true;
  const { items } = await apiRequest<{ items: IDataObject[] }>(this, { method: 'GET', path: '/v1/segments', itemIndex });
  return returnAll ? items : items.slice(0, Number(this.getNodeParameter('limit', itemIndex)));
}

export const getManySegments: ItemOperation = { mode: 'perItem', properties, execute };
