import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, profileId, profileLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type Change = 'add' | 'subtract' | 'set';

const properties: INodeProperties[] = [
  profileLocator('The profile whose score changes'),
  contactIdField,
  {
    displayName: 'Change',
    name: 'change',
    type: 'options',
    default: 'add',
    options: [
      { name: 'Add', value: 'add', description: 'Add points to the score' },
      { name: 'Set', value: 'set', description: 'Make the score this value now' },
      { name: 'Subtract', value: 'subtract', description: 'Take points off the score' },
    ],
  },
  {
    displayName: 'Points',
    name: 'points',
    type: 'number',
    default: 0,
    required: true,
    typeOptions: { numberPrecision: 2 },
    displayOptions: { show: { change: ['add', 'subtract'] } },
    description: 'How many points to add or take off. The change decays and leaves the window like any other contribution.',
  },
  {
    displayName: 'Score',
    name: 'score',
    type: 'number',
    default: 0,
    required: true,
    typeOptions: { numberPrecision: 2 },
    displayOptions: { show: { change: ['set'] } },
    description: 'The score the contact has right after this change',
  },
  {
    displayName: 'Reason',
    name: 'reason',
    type: 'string',
    default: '',
    required: true,
    placeholder: 'e.g. Renewal call went well',
    description: 'Kept with the change and shown in the score explanation',
  },
];

async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const change = this.getNodeParameter('change', itemIndex) as Change;
  const reason = this.getNodeParameter('reason', itemIndex) as string;
  let body: IDataObject;
  if (change === 'set') {
    body = { set: this.getNodeParameter('score', itemIndex), reason };
  } else {
    const points = this.getNodeParameter('points', itemIndex) as number;
    body = { delta: change === 'subtract' ? -points : points, reason };
  }
  return apiRequest(this, {
    method: 'POST',
    path: `/v1/profiles/${pathSegment(profileId(this, itemIndex))}/scores/${pathSegment(contactId(this, itemIndex))}/adjustments`,
    body,
    itemIndex,
  });
}

export const updateScore: ItemOperation = { mode: 'perItem', properties, execute };
