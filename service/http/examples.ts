import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../config';

/**
 * The examples /openapi.json shows. Request bodies are the repository's real data (the profiles in
 * examples/profiles, a realistic contact and its interactions); answers are real answers of the service
 * to those requests, recorded by test/service/openapi-examples.test.ts (UPDATE_EXAMPLES=1 rewrites
 * openapi-examples.json), which also sends every request example to a running service and checks
 * that it is accepted. Ids in both are the ones below: the test maps them to the ids it created.
 */

type JsonValue = unknown;

export const EXAMPLE_IDS = {
  profile: '1d0348e2-79b3-4e4c-a4a9-64e3aeda20c7',
  relationshipProfile: 'e91dfd7a-25aa-4201-8c3e-4f53b58ca6e7',
  manualProfile: '7ad695f5-5956-496d-98b1-e5f28b77c088',
  job: '6f6347e2-6c1f-4a2e-a60a-21030f8a00e6',
  subscription: 'c93af624-4989-4d80-a233-3dfcecb4d43a',
  delivery: '1424c6cf-dcf2-4b90-9196-10aa24c90914',
  key: 'af2be09c-8157-4fea-a53d-363685ef5a73',
  segment: '5b1f8d2e-0c47-4d6a-9e3b-7a2c1f0e9d84',
  contact: 'c-1042',
  account: 'acct-northwind',
  member: 'u-maria',
  webhookUrl: 'https://hooks.northwind.example/engagement',
} as const;

/** Path parameters: `{id}` is the id of the resource its path names. */
const idOfCollection: Record<string, string> = {
  profiles: EXAMPLE_IDS.profile,
  jobs: EXAMPLE_IDS.job,
  subscriptions: EXAMPLE_IDS.subscription,
  deliveries: EXAMPLE_IDS.delivery,
  keys: EXAMPLE_IDS.key,
  segments: EXAMPLE_IDS.segment,
};

const parameterExamples: Record<string, JsonValue> = {
  contactId: EXAMPLE_IDS.contact,
  accountId: EXAMPLE_IDS.account,
  actorId: EXAMPLE_IDS.member,
  version: 1,
  profileId: EXAMPLE_IDS.profile,
};

/** The example of a parameter of the operation at `pathTemplate` (`/v1/profiles/{id}`), if there is one. */
export function parameterExample(pathTemplate: string, name: string): unknown {
  if (name === 'id') {
    const collection = /\/([\w-]+)\/\{id\}/.exec(pathTemplate)?.[1];
    return collection ? idOfCollection[collection] : undefined;
  }
  // Relationship answers (a contact's or an account's) need a relationship profile.
  if (name === 'profileId' && /relationships|accounts/.test(pathTemplate)) return EXAMPLE_IDS.relationshipProfile;
  return parameterExamples[name];
}

function exampleProfile(name: string): Record<string, JsonValue> {
  return JSON.parse(readFileSync(path.join(packageRoot, 'examples/profiles', `${name}.json`), 'utf8')) as Record<string, JsonValue>;
}

const engagement = exampleProfile('engagement-highlevel');
const relationship = exampleProfile('relationship-strength');
const renewal = exampleProfile('likelihood-to-renew');

const contact = {
  name: 'Ana Souza',
  email: 'ana.souza@northwind.example',
  accountId: EXAMPLE_IDS.account,
  ownerId: EXAMPLE_IDS.member,
  tags: ['vip', 'renewal-q1'],
  attributes: { plan: 'growth', seats: 12, country: 'PT' },
};

const interactions = [
  {
    id: 'hl-evt-88213',
    contactId: EXAMPLE_IDS.contact,
    type: 'email_open',
    occurredAt: '2026-11-23T09:30:00Z',
    channel: 'email',
    properties: { campaign: 'November newsletter' },
  },
  {
    id: 'hl-evt-88240',
    contactId: EXAMPLE_IDS.contact,
    type: 'meeting',
    occurredAt: '2026-11-24T14:00:00Z',
    actorId: EXAMPLE_IDS.member,
    channel: 'video',
    direction: 'outbound',
    properties: { durationMinutes: 45, topic: 'Renewal planning' },
  },
  {
    id: 'hl-evt-88302',
    contactId: EXAMPLE_IDS.contact,
    type: 'payment',
    occurredAt: '2026-11-26T10:12:00Z',
    channel: 'stripe',
    direction: 'inbound',
    properties: { amount: 1200, currency: 'EUR', invoice: 'INV-2026-0117' },
  },
];

export type NamedExample = { summary: string; value: JsonValue };

/** Request bodies by operationId; the first of each is the one Swagger UI's "Try it out" starts from. */
export const requestExamples: Record<string, NamedExample[]> = {
  createKey: [{ summary: 'A key for an n8n workflow', value: { role: 'automation', name: 'n8n production' } }],
  createProfile: [
    { summary: 'Engagement (examples/profiles/engagement-highlevel.json)', value: engagement },
    { summary: 'Relationship strength (examples/profiles/relationship-strength.json)', value: relationship },
    { summary: 'Likelihood to renew, set by hand (examples/profiles/likelihood-to-renew.json)', value: renewal },
  ],
  validateProfile: [{ summary: 'The engagement profile', value: engagement }],
  updateProfile: [{ summary: 'The engagement profile', value: engagement }],
  publishProfile: [{ summary: 'Publish quietly', value: { notify: false } }],
  previewDocument: [{ summary: 'Score three interactions with an unsaved document', value: { document: engagement, interactions } }],
  previewProfile: [{ summary: 'A stored contact under the draft and the live version', value: { contactIds: [EXAMPLE_IDS.contact] } }],
  profileImpact: [{ summary: 'The saved draft', value: {} }],
  upsertContact: [{ summary: 'A VIP contact of an account', value: contact }],
  upsertContacts: [
    {
      summary: 'Two contacts of the same account',
      value: {
        contacts: [
          { id: 'c-1043', name: 'João Lima', email: 'joao.lima@northwind.example', accountId: EXAMPLE_IDS.account, tags: ['champion'] },
          {
            id: 'c-1044',
            name: 'Marta Reis',
            email: 'marta.reis@northwind.example',
            accountId: EXAMPLE_IDS.account,
            ownerId: EXAMPLE_IDS.member,
          },
        ],
      },
    },
  ],
  recordInteractions: [{ summary: 'An email opened, a meeting and a payment', value: { interactions } }],
  adjustScore: [
    { summary: 'Add points for a conversation the CRM did not see', value: { delta: 5, reason: 'Met at the Lisbon trade fair' } },
  ],
  createSubscription: [
    {
      summary: 'Tell Slack (through a webhook) when a VIP drops below 40',
      value: {
        profileId: EXAMPLE_IDS.profile,
        event: 'score.dropped_below',
        threshold: 40,
        tags: ['vip'],
        url: EXAMPLE_IDS.webhookUrl,
        description: 'VIP going cold → #accounts on Slack',
      },
    },
    {
      summary: 'Tell a workflow whenever a contact enters the Warm VIPs segment',
      value: {
        segmentId: EXAMPLE_IDS.segment,
        event: 'segment.entered',
        url: EXAMPLE_IDS.webhookUrl,
        description: 'Warm VIP → owner gets a task',
      },
    },
  ],
  createSegment: [
    {
      summary: 'Warm VIPs: VIP contacts scoring 40 or more in the engagement profile',
      value: {
        name: 'Warm VIPs',
        description: 'VIPs worth a personal touch',
        filter: { profileId: EXAMPLE_IDS.profile, minScore: 40, tags: ['vip'] },
      },
    },
  ],
  replaceSegment: [
    {
      summary: 'Warm VIPs who have gone quiet for two weeks',
      value: {
        name: 'Warm VIPs gone quiet',
        description: 'VIPs worth a personal touch, not heard from in 14 days',
        filter: { profileId: EXAMPLE_IDS.profile, minScore: 40, tags: ['vip'], lastInteractionBefore: '14d' },
      },
    },
  ],
  upsertMember: [{ summary: 'Name the account manager', value: { name: 'Maria Costa', email: 'maria.costa@acme.example' } }],
};

export const RESPONSE_EXAMPLES_FILE = path.join(packageRoot, 'service/http/openapi-examples.json');

/** Real answers by operationId (status and body), recorded by the test. */
export function responseExamples(): Record<string, { status: number; body: JsonValue }> {
  if (!existsSync(RESPONSE_EXAMPLES_FILE)) return {};
  return JSON.parse(readFileSync(RESPONSE_EXAMPLES_FILE, 'utf8')) as Record<string, { status: number; body: JsonValue }>;
}
