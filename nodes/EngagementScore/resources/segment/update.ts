import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { segmentId, segmentLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';
import { filterFrom, segmentFiltersField, segmentProfileField, type Segment } from './shared';

const properties: INodeProperties[] = [
  segmentLocator('The segment to change'),
  {
    displayName: 'Update Fields',
    name: 'updateFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    options: [
      { displayName: 'Description', name: 'description', type: 'string', default: '', description: 'Empty removes it' },
      { displayName: 'Name', name: 'name', type: 'string', default: '' },
    ],
  },
  {
    displayName: 'Replace Filter',
    name: 'replaceFilter',
    type: 'boolean',
    default: false,
    description:
      'Whether Profile and Filters below are the whole new filter (conditions left out are removed), instead of changing only the conditions given',
  },
  segmentProfileField('The profile the segment scores its contacts in. Empty: keep it (or none, with Replace Filter).'),
  segmentFiltersField('Conditions to set; an emptied text removes that condition'),
];

/**
 * Changes the segment: what is not given keeps its value (the service replaces a segment as a
 * whole, so the node reads it first). A watched segment takes its members anew, without events.
 */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const path = `/v1/segments/${pathSegment(segmentId(this, itemIndex))}`;
  const current = await apiRequest<Segment>(this, { method: 'GET', path, itemIndex });
  const fields = this.getNodeParameter('updateFields', itemIndex, {}) as { name?: string; description?: string };
  const replace = this.getNodeParameter('replaceFilter', itemIndex, false) === true;
  const name = fields.name?.trim();
  const body: IDataObject = {
    name: name || current.name,
    description: fields.description === undefined ? current.description : fields.description.trim() || null,
    filter: filterFrom(this, itemIndex, replace ? {} : current.filter),
  };
  return apiRequest(this, { method: 'PUT', path, body, itemIndex });
}

export const updateSegment: ItemOperation = { mode: 'perItem', properties, execute };
