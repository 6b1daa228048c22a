import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { contactId, contactIdField, splitList } from '../../shared/fields';
import { apiRequest, pathSegment } from '../../transport/request';
import type { ItemOperation } from '../types';

/** One row of Attributes. Rows saved before the type selector have only a key and a (string) value. */
type Attribute = {
  key: string;
  type?: 'string' | 'number' | 'boolean' | 'null';
  value?: unknown;
  numberValue?: unknown;
  booleanValue?: unknown;
};

type Fields = {
  name?: string;
  email?: string;
  accountId?: string;
  ownerId?: string;
  tags?: string;
  attributes?: { attribute?: Attribute[] };
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
              {
                displayName: 'Type',
                name: 'type',
                type: 'options',
                default: 'string',
                description: 'The JSON type the value is stored with, which profile rules compare against',
                options: [
                  { name: 'Boolean', value: 'boolean' },
                  { name: 'Number', value: 'number' },
                  { name: 'Remove', value: 'null', description: 'Remove the attribute from the contact' },
                  { name: 'String', value: 'string' },
                ],
              },
              {
                displayName: 'Value',
                name: 'value',
                type: 'string',
                default: '',
                placeholder: 'e.g. enterprise',
                displayOptions: { show: { type: ['string'] } },
              },
              {
                displayName: 'Value',
                name: 'numberValue',
                type: 'number',
                default: 0,
                typeOptions: { numberPrecision: 10 },
                displayOptions: { show: { type: ['number'] } },
              },
              {
                displayName: 'Value',
                name: 'booleanValue',
                type: 'boolean',
                default: false,
                description: 'Whether the attribute is true',
                displayOptions: { show: { type: ['boolean'] } },
              },
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

/** The attribute's value with the JSON type chosen for it (an expression may give any value; it is checked). */
function attributeValue(context: IExecuteFunctions, attribute: Attribute, itemIndex: number): string | number | boolean | null {
  const key = String(attribute.key).trim();
  switch (attribute.type ?? 'string') {
    case 'null':
      return null;
    case 'number': {
      const value = typeof attribute.numberValue === 'string' ? Number(attribute.numberValue.trim() || NaN) : attribute.numberValue;
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new NodeOperationError(context.getNode(), `Attribute "${key}" is not a number: ${JSON.stringify(attribute.numberValue)}`, {
          itemIndex,
        });
      return value;
    }
    case 'boolean': {
      const value = attribute.booleanValue;
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw new NodeOperationError(context.getNode(), `Attribute "${key}" is not true or false: ${JSON.stringify(value)}`, { itemIndex });
    }
    default: {
      const value = attribute.value;
      if (value === undefined || value === null) return '';
      if (typeof value === 'string') return value;
      // Version 1 sent what an expression gave as it was (`{{ 25 }}` a number); its workflows keep that.
      if (context.getNode().typeVersion < 2 && (typeof value === 'number' || typeof value === 'boolean')) return value;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
    }
  }
}

async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
  const fields = this.getNodeParameter('additionalFields', itemIndex, {}) as Fields;
  const body: IDataObject = {};
  for (const name of ['name', 'email', 'accountId', 'ownerId'] as const) {
    const value = fields[name];
    if (value !== undefined) body[name] = textOrNull(String(value));
  }
  if (fields.tags !== undefined) body.tags = splitList(fields.tags);
  const attributes = (fields.attributes?.attribute ?? []).filter((attribute) => String(attribute.key ?? '').trim() !== '');
  if (attributes.length > 0) {
    body.attributes = Object.fromEntries(
      attributes.map((attribute) => [String(attribute.key).trim(), attributeValue(this, attribute, itemIndex)]),
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
