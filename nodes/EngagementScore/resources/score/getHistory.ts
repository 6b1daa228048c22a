import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, profileId, profileLocator } from '../../shared/fields';
import { toIsoDateTime } from '../../shared/time';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type History = {
  profileId: string;
  contactId: string;
  interval: 'day' | 'week';
  points: Array<{ at: string; score: number; band: string | null }>;
};

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
        displayName: 'From',
        name: 'from',
        type: 'dateTime',
        default: '',
        description: 'Start of the series. Default: 30 days (daily) or 26 weeks (weekly) before To.',
      },
      {
        displayName: 'Interval',
        name: 'interval',
        type: 'options',
        default: 'day',
        options: [
          { name: 'Day', value: 'day' },
          { name: 'Week', value: 'week' },
        ],
        description: 'Time between two points of the series (at most 1000 points)',
      },
      {
        displayName: 'To',
        name: 'to',
        type: 'dateTime',
        default: '',
        description: 'End of the series. Default: now.',
      },
    ],
  },
];

/** One output item per point of the series, oldest first, so it can go straight to a sheet or a chart. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
  const options = this.getNodeParameter('options', itemIndex, {}) as { from?: string; to?: string; interval?: string };
  const qs: IDataObject = { interval: options.interval ?? 'day' };
  if (options.from) qs.from = toIsoDateTime(this, options.from, 'From', itemIndex);
  if (options.to) qs.to = toIsoDateTime(this, options.to, 'To', itemIndex);
  const history = await apiRequest<History>(this, {
    method: 'GET',
    path: `/v1/profiles/${pathSegment(profileId(this, itemIndex))}/scores/${pathSegment(contactId(this, itemIndex))}/history`,
    qs,
    itemIndex,
  });
  return history.points.map((point) => ({
    profileId: history.profileId,
    contactId: history.contactId,
    interval: history.interval,
    ...point,
  }));
}

export const getScoreHistory: ItemOperation = { mode: 'perItem', properties, execute };
