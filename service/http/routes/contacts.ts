import { z } from 'zod/v4';
import { transaction } from '../../store/db';
import { eraseContact, getContact, listContacts, upsertContacts, type Contact } from '../../store/contacts';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { contactIdParams, contactIdSchema, cursorQuery, decodeCursor, encodeCursor, isoDateTime, jsonObject, limitQuery, repeatable } from '../schemas';

const optionalText = (max: number) => z.string().min(1).max(max).nullable().optional();

export const contactFieldsSchema = z.strictObject({
  name: z.string().max(500).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  accountId: optionalText(200).describe('The account (company) the contact belongs to'),
  ownerId: optionalText(200).describe('The team member who owns the relationship'),
  tags: z.array(z.string().min(1).max(100)).max(100).optional().describe('Replaces the stored tags when given'),
  attributes: jsonObject.optional().describe('Merged into the stored attributes; a key set to null is removed'),
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

const MAX_BATCH = 10_000;

const listCursor = z.strictObject({ id: z.string(), at: z.string().nullable().optional() });

export function contactRoutes(api: RouteRegistry, { db, clock }: AppDeps): void {
  api.add({
    method: 'put',
    path: '/v1/contacts/:contactId',
    operationId: 'upsertContact',
    tag: 'Contacts',
    summary: 'Create or update a contact (fields left out keep their value; null clears one)',
    role: 'writer',
    params: contactIdParams,
    body: contactFieldsSchema,
    response: contactSchema,
    responseDescription: '200 when updated, 201 when created',
    handler: async ({ auth, params, body }) => {
      const { contacts, createdIds } = await transaction(db, (client) =>
        upsertContacts(client, auth.workspaceId, [{ id: params.contactId, ...body }], clock.now()),
      );
      const contact = contacts[0]!;
      return new Reply(createdIds.has(contact.id) ? 201 : 200, contactJson(contact));
    },
  });

  api.add({
    method: 'post',
    path: '/v1/contacts/batch',
    operationId: 'upsertContacts',
    tag: 'Contacts',
    summary: `Create or update up to ${MAX_BATCH.toLocaleString('en')} contacts at once (all or nothing)`,
    role: 'writer',
    body: z.strictObject({
      contacts: z
        .array(contactFieldsSchema.extend({ id: contactIdSchema }))
        .min(1)
        .max(MAX_BATCH, `at most ${MAX_BATCH} contacts per batch`),
    }),
    response: z.object({ created: z.number().int(), updated: z.number().int() }),
    handler: async ({ auth, body }) => {
      const seen = new Map<string, number>();
      const duplicates = body.contacts.flatMap((contact, index) => {
        const first = seen.get(contact.id);
        seen.set(contact.id, first ?? index);
        return first === undefined ? [] : [{ path: `contacts.${index}.id`, message: `duplicates contacts.${first}.id` }];
      });
      if (duplicates.length > 0) throw badRequest('A batch may name each contact once.', duplicates);
      const { contacts, createdIds } = await transaction(db, (client) => upsertContacts(client, auth.workspaceId, body.contacts, clock.now()));
      return { created: createdIds.size, updated: contacts.length - createdIds.size };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts/:contactId',
    operationId: 'getContact',
    tag: 'Contacts',
    summary: 'Get a contact',
    role: 'reader',
    params: contactIdParams,
    response: contactSchema,
    errors: [404],
    handler: async ({ auth, params }) => {
      const contact = await getContact(db, auth.workspaceId, params.contactId);
      if (!contact) throw notFound(`No contact ${params.contactId}.`);
      return contactJson(contact);
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts',
    operationId: 'listContacts',
    tag: 'Contacts',
    summary: 'Filter contacts',
    description: 'Keyset-paginated: follow `nextCursor` until it is null; pages stay stable while contacts are added.',
    role: 'reader',
    query: z.strictObject({
      tag: repeatable(z.string().min(1).max(100)).optional().describe('Any of these tags (repeatable)'),
      accountId: z.string().min(1).max(200).optional(),
      ownerId: z.string().min(1).max(200).optional(),
      sort: z.enum(['id', 'lastInteractionAt', '-lastInteractionAt']).default('id'),
      limit: limitQuery(1000, 50),
      cursor: cursorQuery,
    }),
    response: z.object({ items: z.array(contactSchema), nextCursor: z.string().nullable() }),
    handler: async ({ auth, query }) => {
      const after = decodeCursor(query.cursor, listCursor.extend({ sort: z.literal(query.sort) }));
      const page = await listContacts(db, auth.workspaceId, { tags: query.tag, accountId: query.accountId, ownerId: query.ownerId }, query.sort, query.limit, after);
      return {
        items: page.contacts.map(contactJson),
        nextCursor: page.more && page.last ? encodeCursor({ ...page.last, sort: query.sort }) : null,
      };
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
    handler: async ({ auth, params }) => {
      const erased = await transaction(db, (client) => eraseContact(client, auth.workspaceId, params.contactId));
      if (!erased) throw notFound(`No contact ${params.contactId}.`);
      return undefined;
    },
  });
}
