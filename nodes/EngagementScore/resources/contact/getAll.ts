import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { profileId, profileLocator, splitList, returnAllAndLimit, segmentId, segmentLocator } from '../../shared/fields';
import { listAll } from '../../transport/request';
import { membersSortField, readMembers } from '../segment/shared';
import type { ItemOperation } from '../types';

type Filters = { minScore?: number; maxScore?: number; band?: string; tags?: string; accountId?: string; ownerId?: string };

/** Shown only when the contacts are filtered here (Source "All Contacts", what workflows without Source stored). */
const filteredHere = { show: { source: ['all'] } };
const fromSegment = { show: { source: ['segment'] } };

const properties: INodeProperties[] = [
  {
    displayName: 'Source',
    name: 'source',
    type: 'options',
    default: 'all',
    options: [
      { name: 'All Contacts', value: 'all', description: 'Contacts filtered and sorted by the fields below' },
      {
        name: 'Segment',
        value: 'segment',
        description: 'The members of a saved segment now, as its filter selects them (with score and band when it has a profile)',
      },
    ],
    description: 'Where the contacts come from',
  },
  { ...segmentLocator('The saved segment whose members to list'), displayOptions: fromSegment },
  { ...profileLocator('The profile whose scores the contacts are filtered and sorted by'), displayOptions: filteredHere },
  ...returnAllAndLimit,
  {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    displayOptions: filteredHere,
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
    displayOptions: filteredHere,
  },
  { ...membersSortField, displayOptions: fromSegment },
];

/**
 * One output item per contact, each with its score and band; pages are followed as far as needed.
 * With Source "Segment" the segment's members (GET /v1/segments/{id}/contacts), else GET /v1/contacts.
 */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  if (this.getNodeParameter('source', itemIndex, 'all') === 'segment') return readMembers(this, itemIndex, segmentId(this, itemIndex));
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
