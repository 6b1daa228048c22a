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

/**
 * A contact: searched by ID or name in the service's list, or given by ID (or an expression giving one).
 * Workflows made before the list existed stored a plain string here; it is read the same way.
 */
export function contactLocator(description: string): INodeProperties {
  return {
    displayName: 'Contact',
    name: 'contactId',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    required: true,
    description,
    modes: [
      {
        displayName: 'From List',
        name: 'list',
        type: 'list',
        placeholder: 'Select a contact...',
        typeOptions: { searchListMethod: 'searchContacts', searchable: true },
      },
      {
        displayName: 'By ID',
        name: 'id',
        type: 'string',
        placeholder: 'e.g. crm-42',
      },
    ],
  };
}

export const contactIdField: INodeProperties = contactLocator("The CRM's own ID of the contact");

/** The contact's id, whether the parameter holds a resource locator or (older workflows) a plain string. */
export function contactId(context: IExecuteFunctions, itemIndex: number): string {
  const value = context.getNodeParameter('contactId', itemIndex, '', { extractValue: true }) as unknown;
  return (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '').trim();
}

/** Shown from node version 2 on: version 1 workflows keep the behaviour they were built with. */
export const fromVersion2 = { show: { '@version': [{ _cnd: { gte: 2 } }] } };

/** n8n's Simplify switch for reads whose full answer is long (explanations, per-rule points). */
export function simplifyField(versionGated: boolean): INodeProperties {
  return {
    displayName: 'Simplify',
    name: 'simplify',
    type: 'boolean',
    default: true,
    description: 'Whether to return a simplified version of the response instead of the raw data',
    ...(versionGated ? { displayOptions: fromVersion2 } : {}),
  };
}

/** Simplify as set (off for version 1 nodes, which never had it). */
export function simplify(context: IExecuteFunctions, itemIndex: number): boolean {
  return context.getNodeParameter('simplify', itemIndex, false) === true;
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

/** A saved segment: picked from the service's list (with each one's size), or given by id (or an expression giving one). */
export function segmentLocator(description: string): INodeProperties {
  return {
    displayName: 'Segment',
    name: 'segment',
    type: 'resourceLocator',
    default: { mode: 'list', value: '' },
    required: true,
    description,
    modes: [
      {
        displayName: 'From List',
        name: 'list',
        type: 'list',
        placeholder: 'Select a segment...',
        typeOptions: { searchListMethod: 'searchSegments', searchable: true },
      },
      {
        displayName: 'By ID',
        name: 'id',
        type: 'string',
        placeholder: 'e.g. 6f0b7f7e-2a35-4b55-9d1e-6c1f0c6f4a10',
        validation: [
          { type: 'regex', properties: { regex: UUID, errorMessage: 'A segment ID looks like 6f0b7f7e-2a35-4b55-9d1e-6c1f0c6f4a10' } },
        ],
      },
    ],
  };
}

export function segmentId(context: IExecuteFunctions, itemIndex: number): string {
  const value = context.getNodeParameter('segment', itemIndex, '', { extractValue: true }) as unknown;
  return typeof value === 'string' ? value.trim() : '';
}
