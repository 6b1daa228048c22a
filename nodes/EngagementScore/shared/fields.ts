import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** A score profile: picked from the service's list, or given by id (or an expression giving one). */
export function profileLocator(description: string): INodeProperties {
  return {
    displayName: 'Profile',
    name: 'profile',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    required: true,
    description,
    modes: [
      {
        displayName: 'From List',
        name: 'list',
        type: 'list',
        placeholder: 'Select a profile...',
        typeOptions: { searchListMethod: 'searchProfiles', searchable: true },
      },
      {
        displayName: 'By ID',
        name: 'id',
        type: 'string',
        placeholder: 'e.g. 6f0b7f7e-2a35-4b55-9d1e-6c1f0c6f4a10',
        validation: [
          { type: 'regex', properties: { regex: UUID, errorMessage: 'A profile ID looks like 6f0b7f7e-2a35-4b55-9d1e-6c1f0c6f4a10' } },
        ],
      },
    ],
  };
}

export function profileId(context: IExecuteFunctions, itemIndex: number): string {
  return context.getNodeParameter('profile', itemIndex, '', { extractValue: true }) as string;
}

export const contactIdField: INodeProperties = {
  displayName: 'Contact ID',
  name: 'contactId',
  type: 'string',
  default: '',
  required: true,
  placeholder: 'e.g. crm-42',
  description: "The CRM's own ID of the contact",
};

export function contactId(context: IExecuteFunctions, itemIndex: number): string {
  return (context.getNodeParameter('contactId', itemIndex) as string).trim();
}

/** "vip, renewal" → ["vip", "renewal"]: tags are typed or mapped as one comma-separated text. */
export function splitList(value: unknown): string[] {
  const parts = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/** Return All, or a Limit (default 50) shown only when Return All is off; list operations follow cursors. */
export const returnAllAndLimit: INodeProperties[] = [
  {
    displayName: 'Return All',
    name: 'returnAll',
    type: 'boolean',
    default: false,
    description: 'Whether to return all results or only up to a given limit',
  },
  {
    displayName: 'Limit',
    name: 'limit',
    type: 'number',
    default: 50,
    typeOptions: { minValue: 1 },
    displayOptions: { show: { returnAll: [false] } },
    description: 'Max number of results to return',
  },
];
