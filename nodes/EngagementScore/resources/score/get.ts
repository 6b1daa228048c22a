import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, profileId, profileLocator, simplify, simplifyField } from '../../shared/fields';
import { toIsoDateTime } from '../../shared/time';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  profileLocator('The profile to read the score in'),
  contactIdField,
  simplifyField(true),
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

type Score = {
  contactId: string;
  profileId: string;
  version: number;
  score: number;
  band: { name: string; color: string } | null;
  lastInteractionAt: string | null;
  computedAt: string;
  trend: { delta7d: number; delta30d: number };
  next: { threshold: number; direction: 'down' | 'up'; at: string } | null;
  explanation: Array<{ rule: string; kind: string; count: number; points: number; limited?: number; reason?: string }>;
  suggestions: Array<{ action: string; message: string }>;
};

const signed = (points: number) => (points < 0 ? String(points) : `+${points}`);

/** The score as one flat item: the numbers, the band's name, and the explanation and suggestions in words. */
function simplified(score: Score): IDataObject {
  return {
    contactId: score.contactId,
    profileId: score.profileId,
    score: score.score,
    band: score.band?.name ?? null,
    delta7d: score.trend.delta7d,
    delta30d: score.trend.delta30d,
    lastInteractionAt: score.lastInteractionAt,
    nextCrossingAt: score.next?.at ?? null,
    explanation: score.explanation
      .map(
        (line) => `${line.rule} ${signed(line.points)}${line.count > 1 ? ` (${line.count}×)` : ''}${line.reason ? `: ${line.reason}` : ''}`,
      )
      .join('; '),
    suggestions: score.suggestions.map((suggestion) => suggestion.message).join(' '),
  };
}

async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const options = this.getNodeParameter('options', itemIndex, {}) as { asOf?: string };
  const qs: IDataObject = {};
  if (options.asOf) qs.asOf = toIsoDateTime(this, options.asOf, 'As Of', itemIndex);
  const score = await apiRequest<Score>(this, {
    method: 'GET',
    path: `/v1/profiles/${pathSegment(profileId(this, itemIndex))}/scores/${pathSegment(contactId(this, itemIndex))}`,
    qs,
    itemIndex,
  });
  return simplify(this, itemIndex) ? simplified(score) : score;
}

export const getScore: ItemOperation = { mode: 'perItem', properties, execute };
