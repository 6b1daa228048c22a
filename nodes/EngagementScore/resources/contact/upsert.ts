import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { contactId, contactIdField, splitList } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

type Fields = {
  name?: string;
  email?: string;
  accountId?: string;
  ownerId?: string;
  tags?: string;
  attributes?: { attribute?: Array<{ key: string; value: unknown }> };
};

const properties: INodeProperties[] = [
  { ...contactIdField, description: "The CRM's own ID of the contact: a new ID creates the contact, a known one updates it" },
  {
    displayName: 'Additional Fields',
    name: 'additionalFields',
    type: 'collection',
    placeholder: 'Add Field',
    default: {},
    description: 'Fields left out keep their stored value',
    options: [
      {
        displayName: 'Account ID',
        name: 'accountId',
        type: 'string',
        default: '',
        description: 'The account (company) the contact belongs to; empty removes it',
      },
      {
        displayName: 'Attributes',
        name: 'attributes',
        type: 'fixedCollection',
        placeholder: 'Add Attribute',
        default: {},
        typeOptions: { multipleValues: true },
        description: 'Merged into the stored attributes key by key, which profile rules can read',
        options: [
          {
            displayName: 'Attribute',
            name: 'attribute',
            values: [
              { displayName: 'Key', name: 'key', type: 'string', default: '', placeholder: 'e.g. plan' },
              { displayName: 'Value', name: 'value', type: 'string', default: '', placeholder: 'e.g. enterprise' },
            ],
          },
        ],
      },
      {
        displayName: 'Email',
        name: 'email',
        type: 'string',
        default: '',
        placeholder: 'name@email.com',
        description: 'Empty removes it',
      },
      {
        displayName: 'Name',
        name: 'name',
        type: 'string',
        default: '',
        description: 'Empty removes it',
      },
      {
        displayName: 'Owner ID',
        name: 'ownerId',
        type: 'string',
        default: '',
        description: 'The team member who owns the relationship; empty removes it',
      },
      {
        displayName: 'Tags',
        name: 'tags',
        type: 'string',
        default: '',
        placeholder: 'e.g. vip, renewal',
        description: 'Replace the stored tags with these, separated by commas; empty removes all tags',
      },
    ],
  },
];

/** An empty text clears the field (the service's `null`), as a builder would expect from an emptied input. */
const textOrNull = (value: string) => (value.trim() === '' ? null : value.trim());

async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as Fields;
  const body: IDataObject = {};
  for (const name of ['name', 'email', 'accountId', 'ownerId'] as const) {
    const value = fields[name];
    if (value !== undefined) body[name] = textOrNull(String(value));
  }
  if (fields.tags !== undefined) body.tags = splitList(fields.tags);
  const attributes = fields.attributes?.attribute ?? [];
  if (attributes.length > 0) {
    body.attributes = Object.fromEntries(
      attributes.filter((attribute) => attribute.key.trim() !== '').map((attribute) => [attribute.key.trim(), attribute.value]),
    );
  }
  // wait: rules that read the contact are applied before the answer, so a Get Score right after sees them.
  return apiRequest(this, {
    method: 'PUT',
    path: `/v1/contacts/${pathSegment(contactId(this, itemIndex))}`,
    qs: { wait: 'true' },
    body,
    itemIndex,
  });
}

export const upsertContact: ItemOperation = { mode: 'perItem', properties, execute };
