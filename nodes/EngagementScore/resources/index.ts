import type { INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { contactOperationField, contactOperations } from './contact';
import { insightOperationField, insightOperations } from './insight';
import { interactionOperationField, interactionOperations } from './interaction';
import { relationshipOperationField, relationshipOperations } from './relationship';
import { scoreOperationField, scoreOperations } from './score';
import type { Operation } from './types';

export type { Operation } from './types';

/** Resource → operation → its properties and how it runs. */
export const operations: Record<string, Record<string, Operation>> = {
  contact: contactOperations,
  insight: insightOperations,
  interaction: interactionOperations,
  relationship: relationshipOperations,
  score: scoreOperations,
};

const resourceField: INodeProperties = {
  displayName: 'Resource',
  name: 'resource',
  type: 'options',
  noDataExpression: true,
  default: 'score',
  options: [
    { name: 'Contact', value: 'contact' },
    { name: 'Insight', value: 'insight' },
    { name: 'Interaction', value: 'interaction' },
    { name: 'Relationship', value: 'relationship' },
    { name: 'Score', value: 'score' },
  ],
};

const operationFields = [
  contactOperationField,
  insightOperationField,
  interactionOperationField,
  relationshipOperationField,
  scoreOperationField,
];

/** Each operation's own properties, shown only when it is selected. */
const operationProperties = Object.entries(operations).flatMap(([resource, byOperation]) =>
  Object.entries(byOperation).flatMap(([operation, { properties }]) =>
    updateDisplayOptions({ show: { resource: [resource], operation: [operation] } }, properties),
  ),
);

export const properties: INodeProperties[] = [resourceField, ...operationFields, ...operationProperties];
