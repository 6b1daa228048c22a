import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, profileLocator, returnAllAndLimit } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type Relationships = {
  contactId: string;
  profileId: string;
  score: number;
  band: { name: string; color: string } | null;
  items: IDataObject[];
};

const properties: INodeProperties[] = [
  contactIdField,
  {
    ...profileLocator('The profile that measures relationship strength. Leave empty to use the oldest published relationship profile.'),
    required: false,
  },
  ...returnAllAndLimit,
];

/** One output item per team member, strongest first, each with the contact's own score beside it. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const profileId = this.getNodeParameter('profile', itemIndex, '', { extractValue: true }) as string;
  const returnAll = this.getNodeParameter('returnAll', itemIndex) === true;
  const limit = returnAll ? Infinity : Number(this.getNodeParameter('limit', itemIndex));
  const answer = await apiRequest<Relationships>(this, {
    method: 'GET',
    path: `/v1/contacts/${pathSegment(contactId(this, itemIndex))}/relationships`,
    qs: profileId ? { profileId } : {},
    itemIndex,
  });
  return answer.items.slice(0, limit).map((member, index) => ({
    contactId: answer.contactId,
    profileId: answer.profileId,
    contactScore: answer.score,
    contactBand: answer.band,
    rank: index + 1,
    ...member,
  }));
}

export const getRelationships: ItemOperation = { mode: 'perItem', properties, execute };
