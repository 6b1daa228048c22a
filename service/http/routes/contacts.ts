import { z } from 'zod/v4';
import {
  contactWithScores,
  duplicatesInBatch,
  eraseContact,
  findContacts,
  upsertAndRescore,
  type ListedContact,
  type ListPosition,
} from '../../app/contacts';
import { contactFilterOf, DURATION_PATTERN } from '../../scoring/segments';
import type { Contact } from '../../store/contacts';
import type { AppDeps } from '../deps';
import { Reply, type RouteRegistry } from '../route';
import {
  bandSchema,
  boundedJsonObject,
  consistencyQuery,
  contactIdParams,
  contactIdSchema,
  cursorQuery,
  decodeCursor,
  encodeCursor,
  isoDateTime,
  jsonObject,
  limitQuery,
  MAX_OBJECT_BYTES,
  optionalText,
  repeatable,
  TOKEN_HEADER,
  tokenSchema,
  versionNumberSchema,
  waitQuery,
  scoreEvidenceFields,
  shownScoreSchema,
} from '../schemas';

export const contactFieldsSchema = z.strictObject({
  name: z.string().max(500).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  accountId: optionalText(200).describe('The account (company) the contact belongs to'),
  ownerId: optionalText(200).describe('The team member who owns the relationship'),
  tags: z.array(z.string().min(1).max(100)).max(100).optional().describe('Replaces the stored tags when given'),
  attributes: boundedJsonObject(MAX_OBJECT_BYTES)
    .optional()
    .describe('Merged into the stored attributes; a key set to null is removed (at most 64 KB in all once merged)'),
});

export const contactSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    accountId: z.string().nullable(),
    ownerId: z.string().nullable(),
    tags: z.array(z.string()),
    attributes: jsonObject,
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    lastInteractionAt: isoDateTime.nullable(),
    lastInteractionType: z.string().nullable(),
  })
  .meta({ id: 'Contact' });

export const scoredContactSchema = contactSchema
  .extend({
    score: z.number().optional().describe('With profileId: the score in that profile'),
    band: bandSchema.optional(),
  })
  .meta({ id: 'ScoredContact' });

export function contactJson(contact: Contact) {
  return {
    id: contact.id,
    name: contact.name,
    email: contact.email,
    accountId: contact.accountId,
    ownerId: contact.ownerId,
    tags: contact.tags,
    attributes: contact.attributes,
    createdAt: contact.createdAt,
    updatedAt: contact.updatedAt,
    lastInteractionAt: contact.lastInteractionAt,
    lastInteractionType: contact.lastInteractionType,
  };
}

/** A page of a contact list (with a profile, each item's score and band in it). */
export function contactPageJson(page: { items: ListedContact[]; next: ListPosition | null }) {
  return {
    items: page.items.map((contact) => ({
      ...contactJson(contact),
      ...(contact.score === undefined ? {} : { score: contact.score, band: contact.band }),
    })),
    nextCursor: page.next ? encodeCursor(page.next) : null,
  };
}

const MAX_BATCH = 10_000;

// Cursor shapes are built once: constructing zod schemas per request costs more than the query.
export const sorts = ['id', 'lastInteractionAt', '-lastInteractionAt', 'score', '-score'] as const;
export const plainCursors = new Map(
  sorts.map((sort) => [sort, z.strictObject({ sort: z.literal(sort), id: z.string(), at: isoDateTime.nullable().optional() })]),
);
export const scoredCursors = new Map(
  sorts.map((sort) => [
    sort,
    z.strictObject({
      sort: z.literal(sort),
      t: z.number().min(0).max(8.64e15),
      id: z.string(),
      at: isoDateTime.nullable().optional(),
      s: z.number().optional(),
      sign: z.number().int().min(-1).max(1).optional(),
      key: z.number().optional(),
      raw: z.number().optional(),
    }),
  ]),
);

export function contactRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'put',
    path: '/v1/contacts/:contactId',
    operationId: 'upsertContact',
    tag: 'Contacts',
    summary: 'Create or update a contact (fields left out keep their value; null clears one)',
    role: 'writer',
    params: contactIdParams,
    query: z.strictObject({ wait: waitQuery }),
    body: contactFieldsSchema,
    response: contactSchema,
    responseDescription:
      '200 when updated, 201 when created (202 with wait=true when stored but not scored in time); the `Consistency-Token` header covers the change',
    handler: async ({ auth, params, query, body, res }) => {
      const { contacts, createdIds, token, scored } = await upsertAndRescore(ctx, auth.workspaceId, [{ id: params.contactId, ...body }], {
        wait: query.wait,
      });
      res.setHeader(TOKEN_HEADER, token);
      const contact = contacts[0];
      return new Reply(scored === false ? 202 : createdIds.has(contact.id) ? 201 : 200, contactJson(contact));
    },
  });

  api.add({
    method: 'post',
    path: '/v1/contacts/batch',
    operationId: 'upsertContacts',
    tag: 'Contacts',
    summary: `Create or update up to ${MAX_BATCH.toLocaleString('en')} contacts at once (all or nothing)`,
    role: 'writer',
    query: z.strictObject({ wait: waitQuery }),
    body: z.strictObject({
      contacts: z
        .array(contactFieldsSchema.extend({ id: contactIdSchema }))
        .min(1)
        .max(MAX_BATCH, `at most ${MAX_BATCH} contacts per batch`)
        .superRefine((contacts, context) => {
          for (const duplicate of duplicatesInBatch(contacts.map((contact) => contact.id)))
            context.addIssue({ code: 'custom', path: duplicate.path.split('.').slice(1), message: duplicate.message });
        }),
    }),
    response: z.object({
      created: z.number().int().min(0).max(MAX_BATCH),
      updated: z.number().int().min(0).max(MAX_BATCH),
      token: tokenSchema,
      scored: z
        .boolean()
        .optional()
        .describe('With wait=true: false (status 202) when stored but not scored within CONSISTENCY_TIMEOUT_MS'),
    }),
    handler: async ({ auth, query, body, res }) => {
      const { contacts, createdIds, token, scored } = await upsertAndRescore(ctx, auth.workspaceId, body.contacts, { wait: query.wait });
      res.setHeader(TOKEN_HEADER, token);
      const answer = {
        created: createdIds.size,
        updated: contacts.length - createdIds.size,
        token,
        ...(scored === undefined ? {} : { scored }),
      };
      return scored === false ? new Reply(202, answer) : answer;
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts/:contactId',
    operationId: 'getContact',
    tag: 'Contacts',
    summary: 'Get a contact with its score in every published profile',
    role: 'reader',
    params: contactIdParams,
    query: z.strictObject({ consistency: consistencyQuery }),
    response: contactSchema.extend({
      scores: z.array(
        z.object({
          profileId: z.uuid(),
          profileName: z.string(),
          version: versionNumberSchema,
          score: shownScoreSchema,
          ...scoreEvidenceFields,
          band: bandSchema,
        }),
      ),
    }),
    errors: [404],
    handler: async ({ auth, params, query }) => {
      const { contact, scores } = await contactWithScores(ctx, auth.workspaceId, params.contactId, query.consistency);
      return { ...contactJson(contact), scores };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts',
    operationId: 'listContacts',
    tag: 'Contacts',
    summary: 'Filter contacts (by tag, account, owner, id or name, and by score in a profile)',
    description:
      'Keyset-paginated: follow `nextCursor` until it is null; pages stay stable while contacts are added. With `profileId`, every item carries its `score` and `band` in that profile, exact as of the request (later pages use the time of the first), and `minScore`/`maxScore` (inclusive) and `band` filter on the score as shown. Sorting by score is answered from an index; ties are broken by contact id in the same direction.',
    role: 'reader',
    query: z.strictObject({
      q: z.string().min(1).max(200).optional().describe('Contacts whose id or name starts with this (any case)'),
      tag: repeatable(z.string().min(1).max(100)).optional().describe('Any of these tags (repeatable)'),
      allTag: repeatable(z.string().min(1).max(100)).optional().describe('All of these tags (repeatable)'),
      lastInteractionBefore: z
        .string()
        .regex(DURATION_PATTERN, 'a duration such as 30d, 12h, 90m or 2w')
        .optional()
        .describe('The last interaction is older than this duration, e.g. 30d (never interacted counts)'),
      lastInteractionAfter: z
        .string()
        .regex(DURATION_PATTERN, 'a duration such as 30d, 12h, 90m or 2w')
        .optional()
        .describe('The last interaction is at most this old, e.g. 7d'),
      accountId: z.string().min(1).max(200).optional().describe('Contacts of this account'),
      ownerId: z.string().min(1).max(200).optional().describe('Contacts this team member owns'),
      profileId: z.uuid().optional().describe('Score contacts in this published profile'),
      minScore: z.coerce.number().min(-1e9).max(1e9).optional().describe('Score at least this (inclusive; needs profileId)'),
      maxScore: z.coerce.number().min(-1e9).max(1e9).optional().describe('Score at most this (inclusive; needs profileId)'),
      band: z.string().min(1).max(100).optional().describe('Only contacts in this band (needs profileId)'),
      sort: z.enum(sorts).optional().describe('Default: -score with profileId, else id'),
      limit: limitQuery(1000, 50),
      cursor: cursorQuery,
      consistency: consistencyQuery,
    }),
    response: z.object({ items: z.array(scoredContactSchema), nextCursor: z.string().nullable() }),
    handler: async ({ auth, query }) => {
      const sort = query.sort ?? (query.profileId ? '-score' : 'id');
      const after = decodeCursor(query.cursor, (query.profileId ? scoredCursors : plainCursors).get(sort)!);
      const page = await findContacts(
        ctx,
        auth.workspaceId,
        {
          filter: {
            ...contactFilterOf(
              {
                allTags: query.allTag,
                lastInteractionBefore: query.lastInteractionBefore,
                lastInteractionAfter: query.lastInteractionAfter,
              },
              (after as { t?: number } | undefined)?.t ?? ctx.clock.now().getTime(),
            ),
            tags: query.tag,
            accountId: query.accountId,
            ownerId: query.ownerId,
            search: query.q,
          },
          profileId: query.profileId,
          minScore: query.minScore,
          maxScore: query.maxScore,
          band: query.band,
          sort: query.sort,
          limit: query.limit,
          consistency: query.consistency,
        },
        after,
      );
      return contactPageJson(page);
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/contacts/:contactId',
    operationId: 'eraseContact',
    tag: 'Contacts',
    summary: 'Erase a contact with its interactions, ledger and history',
    role: 'writer',
    params: contactIdParams,
    errors: [404],
    handler: async ({ auth, params }) => eraseContact(ctx, auth.workspaceId, params.contactId),
  });
}
