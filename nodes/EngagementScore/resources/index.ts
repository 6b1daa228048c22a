import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { accountOperationField, accountOperations } from './account';
import { contactOperationFields, contactOperations } from './contact';
import { insightOperationField, insightOperations } from './insight';
import { interactionOperationField, interactionOperations } from './interaction';
import { profileOperationField, profileOperations } from './profile';
import { relationshipOperationField, relationshipOperations } from './relationship';
import { scoreOperationField, scoreOperations } from './score';
import { segmentOperationField, segmentOperations } from './segment';
import type { Operation } from './types';

export type { Operation } from './types';

/** Resource → operation → its properties and how it runs. */
export const operations: Record<string, Record<string, Operation>> = {
  account: accountOperations,
  contact: contactOperations,
  insight: insightOperations,
  interaction: interactionOperations,
  profile: profileOperations,
  relationship: relationshipOperations,
  score: scoreOperations,
  segment: segmentOperations,
};

const resourceField: INodeProperties = {
  displayName: 'Resource',
  name: 'resource',
  type: 'options',
  noDataExpression: true,
  default: 'score',
  options: [
    { name: 'Account', value: 'account' },
    { name: 'Contact', value: 'contact' },
    { name: 'Insight', value: 'insight' },
    { name: 'Interaction', value: 'interaction' },
    { name: 'Profile', value: 'profile' },
    { name: 'Relationship', value: 'relationship' },
    { name: 'Score', value: 'score' },
    { name: 'Segment', value: 'segment' },
  ],
};

const operationFields = [
  accountOperationField,
  ...contactOperationFields,
  insightOperationField,
  interactionOperationField,
  profileOperationField,
  relationshipOperationField,
  scoreOperationField,
  segmentOperationField,
];

/** Each operation's own properties, shown only when it is selected. */
const operationProperties = Object.entries(operations).flatMap(([resource, byOperation]) =>
  Object.entries(byOperation).flatMap(([operation, { properties }]) =>
    updateDisplayOptions({ show: { resource: [resource], operation: [operation] } }, properties),
  ),
);

export const properties: INodeProperties[] = [resourceField, ...operationFields, ...operationProperties];
