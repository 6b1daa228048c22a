import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { profileId, profileLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  profileLocator('The profile to review'),
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'Days',
        name: 'days',
        type: 'number',
        default: 7,
        typeOptions: { minValue: 1, maxValue: 365 },
        description: 'How far back the review compares scores with',
      },
      {
        displayName: 'Contacts per List',
        name: 'listSize',
        type: 'number',
        default: 10,
        typeOptions: { minValue: 1, maxValue: 100 },
        description: 'At most this many contacts in each list: risers, fallers and needs attention',
      },
    ],
  },
];

/**
 * The network review as one item: band distribution then and now, average score and its change,
 * the top risers and fallers, and the contacts that need attention.
 */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const options = this.getNodeParameter('options', itemIndex, {}) as { days?: number; listSize?: number };
  const qs: IDataObject = {};
  if (options.days !== undefined) qs.days = options.days;
  if (options.listSize !== undefined) qs.limit = options.listSize;
  return apiRequest(this, { method: 'GET', path: `/v1/profiles/${pathSegment(profileId(this, itemIndex))}/insights`, qs, itemIndex });
}

export const getInsights: ItemOperation = { mode: 'perItem', properties, execute };
