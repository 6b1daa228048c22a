import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { profileId, profileLocator, splitList, returnAllAndLimit } from '../../shared/fields';
import { listAll } from '../../transport/request';
import type { ItemOperation } from '../types';

type Filters = { minScore?: number; maxScore?: number; band?: string; tags?: string; accountId?: string; ownerId?: string };

const properties: INodeProperties[] = [
  profileLocator('The profile whose scores the contacts are filtered and sorted by'),
  ...returnAllAndLimit,
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    options: [
      {
        displayName: 'Account ID',
        name: 'accountId',
        type: 'string',
        default: '',
        description: 'Only contacts of this account (company)',
      },
      {
        displayName: 'Band Name or ID',
        name: 'band',
        type: 'options',
        default: '',
        typeOptions: { loadOptionsMethod: 'getBands', loadOptionsDependsOn: ['profile.value'] },
        description:
          'Only contacts whose score is in this band of the profile. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
      },
      {
        displayName: 'Maximum Score',
        name: 'maxScore',
        type: 'number',
        default: 100,
        typeOptions: { numberPrecision: 2 },
        description: 'Only contacts scoring at most this (inclusive)',
      },
      {
        displayName: 'Minimum Score',
        name: 'minScore',
        type: 'number',
        default: 0,
        typeOptions: { numberPrecision: 2 },
        description: 'Only contacts scoring at least this (inclusive)',
      },
      {
        displayName: 'Owner ID',
        name: 'ownerId',
        type: 'string',
        default: '',
        description: 'Only contacts owned by this team member',
      },
      {
        displayName: 'Tags',
        name: 'tags',
        type: 'string',
        default: '',
        placeholder: 'e.g. vip, renewal',
        description: 'Only contacts with any of these tags, separated by commas',
      },
    ],
  },
  {
    displayName: 'Sort',
    name: 'sort',
    type: 'options',
    default: '-score',
    options: [
      { name: 'Contact ID', value: 'id' },
      { name: 'Highest Score First', value: '-score' },
      { name: 'Least Recently Active First', value: 'lastInteractionAt' },
      { name: 'Lowest Score First', value: 'score' },
      { name: 'Most Recently Active First', value: '-lastInteractionAt' },
    ],
    description: 'Order of the contacts; ties are broken by contact ID',
  },
];

/** One output item per contact, each with its score and band; pages are followed as far as needed. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const returnAll = this.getNodeParameter('returnAll', itemIndex) === true;
  const limit = returnAll ? undefined : Number(this.getNodeParameter('limit', itemIndex));
  const filters = this.getNodeParameter('filters', itemIndex, {}) as Filters;
  const qs: IDataObject = { profileId: profileId(this, itemIndex), sort: this.getNodeParameter('sort', itemIndex) };
  if (filters.minScore !== undefined) qs.minScore = filters.minScore;
  if (filters.maxScore !== undefined) qs.maxScore = filters.maxScore;
  if (filters.band) qs.band = filters.band;
  const tags = splitList(filters.tags);
  if (tags.length > 0) qs.tag = tags;
  if (filters.accountId) qs.accountId = filters.accountId;
  if (filters.ownerId) qs.ownerId = filters.ownerId;
  return listAll<IDataObject>(this, { method: 'GET', path: '/v1/contacts', qs, itemIndex }, limit);
}

export const getManyContacts: ItemOperation = { mode: 'perItem', properties, execute };
