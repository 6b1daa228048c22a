import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, profileId, profileLocator } from '../../shared/fields';
import { toIsoDateTime } from '../../shared/time';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  profileLocator('The profile to read the score in'),
  contactIdField,
  {
    displayName: 'Options',
    name: 'options',
    type: 'collection',
    placeholder: 'Add Option',
    default: {},
    options: [
      {
        displayName: 'As Of',
        name: 'asOf',
        type: 'dateTime',
        default: '',
        description: 'The score at this moment in the past instead of now',
      },
    ],
  },
];

async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const options = this.getNodeParameter('options', itemIndex, {}) as { asOf?: string };
  const qs: IDataObject = {};
  if (options.asOf) qs.asOf = toIsoDateTime(this, options.asOf, 'As Of', itemIndex);
  return apiRequest(this, {
    method: 'GET',
    path: `/v1/profiles/${pathSegment(profileId(this, itemIndex))}/scores/${pathSegment(contactId(this, itemIndex))}`,
    qs,
    itemIndex,
  });
}

export const getScore: ItemOperation = { mode: 'perItem', properties, execute };
