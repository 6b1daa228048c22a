import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { profileLocator, splitList } from '../../shared/fields';
import { listAll, pathSegment } from '../../transport/request';

/** A segment as the service answers it (GET /v1/segments/{id}). */
export type Segment = {
  id: string;
  name: string;
  description: string | null;
  filter: SegmentFilter;
  watched: boolean;
  size: number;
  createdAt: string;
  updatedAt: string;
};

export type SegmentFilter = {
  profileId?: string;
  minScore?: number;
  maxScore?: number;
  band?: string;
  tags?: string[];
  allTags?: string[];
  accountId?: string;
  ownerId?: string;
  lastInteractionBefore?: string;
  lastInteractionAfter?: string;
};

/** The Filters collection as n8n hands it over: lists are comma-separated text. */
type FilterFields = {
  minScore?: number;
  maxScore?: number;
  band?: string;
  tags?: string;
  allTags?: string;
  accountId?: string;
  ownerId?: string;
  lastInteractionBefore?: string;
  lastInteractionAfter?: string;
};

const DURATION_HINT = 'A number and m(inutes), h(ours), d(ays) or w(eeks)';

/** The profile a segment scores its contacts in: optional, needed by the score range and band. */
export function segmentProfileField(description: string): INodeProperties {
  return { ...profileLocator(description), required: false };
}

/** The conditions of a segment's filter other than its profile. */
export function segmentFiltersField(description: string): INodeProperties {
  return {
    displayName: 'Filters',
    name: 'filters',
    type: 'collection',
    placeholder: 'Add Filter',
    default: {},
    description,
    options: [
      {
        displayName: 'Account ID',
        name: 'accountId',
        type: 'string',
        default: '',
        description: 'Only contacts of this account (company)',
      },
      {
        displayName: 'All Tags',
        name: 'allTags',
        type: 'string',
        default: '',
        placeholder: 'e.g. customer, renewal',
        description: 'Only contacts with all of these tags, separated by commas',
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
        displayName: 'Last Interaction Within',
        name: 'lastInteractionAfter',
        type: 'string',
        default: '',
        placeholder: 'e.g. 7d',
        description: `Only contacts whose last interaction is at most this old. ${DURATION_HINT}.`,
      },
      {
        displayName: 'Maximum Score',
        name: 'maxScore',
        type: 'number',
        default: 100,
        typeOptions: { numberPrecision: 2 },
        description: 'Only contacts scoring at most this (inclusive); needs a profile',
      },
      {
        displayName: 'Minimum Score',
        name: 'minScore',
        type: 'number',
        default: 0,
        typeOptions: { numberPrecision: 2 },
        description: 'Only contacts scoring at least this (inclusive); needs a profile',
      },
      {
        displayName: 'No Interaction For',
        name: 'lastInteractionBefore',
        type: 'string',
        default: '',
        placeholder: 'e.g. 30d',
        description: `Only contacts whose last interaction is older than this, or who never interacted. ${DURATION_HINT}.`,
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
  };
}

const TEXT_FIELDS = ['band', 'accountId', 'ownerId', 'lastInteractionBefore', 'lastInteractionAfter'] as const;
const LIST_FIELDS = ['tags', 'allTags'] as const;

/**
 * The filter the node's Profile and Filters give, laid over `base` (an Update keeps what it does not
 * name): a field given replaces that condition, an emptied text or list removes it.
 */
export function filterFrom(context: IExecuteFunctions, itemIndex: number, base: SegmentFilter = {}): SegmentFilter {
  const filter: IDataObject = { ...base };
  const profileId = ((context.getNodeParameter('profile', itemIndex, '', { extractValue: true }) as string | undefined) ?? '').trim();
  if (profileId) filter.profileId = profileId;
  const fields = context.getNodeParameter('filters', itemIndex, {}) as FilterFields;
  for (const name of ['minScore', 'maxScore'] as const) if (fields[name] !== undefined) filter[name] = Number(fields[name]);
  for (const name of TEXT_FIELDS) {
    if (fields[name] === undefined) continue;
    const value = String(fields[name]).trim();
    if (value) filter[name] = value;
    else delete filter[name];
  }
  for (const name of LIST_FIELDS) {
    if (fields[name] === undefined) continue;
    const list = splitList(fields[name]);
    if (list.length > 0) filter[name] = list;
    else delete filter[name];
  }
  return filter;
}

/** How the members of a segment are ordered; by default as the service orders them. */
export const membersSortField: INodeProperties = {
  displayName: 'Sort',
  name: 'segmentSort',
  type: 'options',
  default: 'default',
  options: [
    { name: 'Contact ID', value: 'id' },
    { name: 'Highest Score First', value: '-score', description: 'Only for a segment with a profile' },
    { name: 'Least Recently Active First', value: 'lastInteractionAt' },
    { name: 'Lowest Score First', value: 'score', description: 'Only for a segment with a profile' },
    { name: 'Most Recently Active First', value: '-lastInteractionAt' },
    {
      name: 'Segment Default',
      value: 'default',
      description: 'Highest score first for a segment with a profile, else by contact ID',
    },
  ],
  description: 'Order of the members; ties are broken by contact ID',
};

/** The segment's members now, with score and band when it has a profile; pages followed as far as needed. */
export async function readMembers(context: IExecuteFunctions, itemIndex: number, id: string): Promise<IDataObject[]> {
  const returnAll = context.getNodeParameter('returnAll', itemIndex) === true;
  const limit = returnAll ? undefined : Number(context.getNodeParameter('limit', itemIndex));
  const sort = context.getNodeParameter('segmentSort', itemIndex, 'default') as string;
  return listAll<IDataObject>(
    context,
    { method: 'GET', path: `/v1/segments/${pathSegment(id)}/contacts`, qs: sort === 'default' ? {} : { sort }, itemIndex },
    limit,
  );
}
