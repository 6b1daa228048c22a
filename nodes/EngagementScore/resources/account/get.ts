import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { profileLocator } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

const properties: INodeProperties[] = [
  {
    displayName: 'Account ID',
    name: 'accountId',
    type: 'string',
    default: '',
    required: true,
    placeholder: 'e.g. acme',
    description: 'The account (company) ID that contacts carry in their Account ID',
  },
  {
    ...profileLocator('The profile whose scores are rolled up. Leave empty to use the oldest published relationship profile.'),
    required: false,
  },
  {
    displayName: 'Include Relationships',
    name: 'includeRelationships',
    type: 'boolean',
    default: true,
    description:
      "Whether to add the account's contacts with their scores and strongest team members, and the account's strongest team members",
  },
];

/** The account's roll-up score, band and trend, with (by default) who knows the account and its contacts best. */
async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const accountId = (this.getNodeParameter('accountId', itemIndex) as string).trim();
  if (!accountId) throw new NodeOperationError(this.getNode(), 'Account ID is empty', { itemIndex });
  const profileId = this.getNodeParameter('profile', itemIndex, '', { extractValue: true }) as string;
  const withRelationships = this.getNodeParameter('includeRelationships', itemIndex, true) === true;
  return apiRequest(this, {
    method: 'GET',
    path: `/v1/accounts/${pathSegment(accountId)}${withRelationships ? '/relationships' : ''}`,
    qs: profileId ? { profileId } : {},
    itemIndex,
  });
}

export const getAccount: ItemOperation = { mode: 'perItem', properties, execute };
