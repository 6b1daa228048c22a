import { z } from 'zod/v4';
import { transaction } from '../../store/db';
import { ScoreModel } from '../../scoring/math';
import { bandJson, contactLedger } from '../../scoring/read';
import { upsertAndRescore } from '../../app/contacts';
import { eraseContact, getContact, listContacts, type Contact, type ContactSort } from '../../store/contacts';
import { liveVersions, profileWithLiveVersion } from '../../store/profiles';
import { listByScore } from '../../store/score-list';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { boundedJsonObject, contactIdParams, contactIdSchema, cursorQuery, decodeCursor, encodeCursor, isoDateTime, jsonObject, limitQuery, MAX_OBJECT_BYTES, repeatable } from '../schemas';

const optionalText = (max: number) => z.string().min(1).max(max).nullable().optional();

export const contactFieldsSchema = z.strictObject({
  name: z.string().max(500).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  accountId: optionalText(200).describe('The account (company) the contact belongs to'),
  ownerId: optionalText(200).describe('The team member who owns the relationship'),
  tags: z.array(z.string().min(1).max(100)).max(100).optional().describe('Replaces the stored tags when given'),
  attributes: boundedJsonObject(MAX_OBJECT_BYTES).optional().describe('Merged into the stored attributes; a key set to null is removed (at most 64 KB in all once merged)'),
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
    band: z.object({ name: z.string(), color: z.string() }).nullable().optional(),
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

const MAX_BATCH = 10_000;

// Cursor shapes are built once: constructing zod schemas per request costs more than the query.
const sorts = ['id', 'lastInteractionAt', '-lastInteractionAt', 'score', '-score'] as const;
type Sort = (typeof sorts)[number];
const plainCursors = new Map(sorts.map((sort) => [sort, z.strictObject({ sort: z.literal(sort), id: z.string(), at: isoDateTime.nullable().optional() })]));
const scoredCursors = new Map(
  sorts.map((sort) => [
    sort,
    z.strictObject({ sort: z.literal(sort), t: z.number().min(0).max(8.64e15), id: z.string(), at: isoDateTime.nullable().optional(), s: z.number().optional(), sign: z.number().int().min(-1).max(1).optional(), key: z.number().optional(), raw: z.number().optional() }),
  ]),
);

export function contactRoutes(api: RouteRegistry, deps: AppDeps): void {
  const { db, clock, engine } = deps;
  async function liveVersionForFilter(workspaceId: string, profileId: string) {
    const found = await profileWithLiveVersion(db, workspaceId, profileId);
    if (!found || found.profile.archivedAt || !found.live) {
      throw badRequest('profileId names no published profile of this workspace.', [{ path: 'profileId', message: 'no published profile with this id' }]);
    }
    return engine.activate(found.live);
  }

  function scoreBounds(model: ScoreModel, minScore: number | undefined, maxScore: number | undefined, bandName: string | undefined) {
    let min = minScore === undefined ? -Infinity : model.rawThreshold(minScore);
    let max = maxScore === undefined ? Infinity : model.rawAtMostBound(maxScore);
    if (bandName !== undefined) {
      const bands = model.profile.bands;
      const index = bands.findIndex((band) => band.name === bandName);
      if (index === -1) throw badRequest(`The profile has no band ${JSON.stringify(bandName)}.`, [{ path: 'band', message: `one of: ${bands.map((band) => band.name).join(', ') || '(the profile has no bands)'}` }]);
      const band = bands[index]!;
      min = Math.max(min, model.rawThreshold(band.min));
      max = Math.min(max, index === bands.length - 1 ? model.rawAtMostBound(band.max) : model.rawThreshold(band.max));
    }
    return { min, max };
  }

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
      const { contacts, createdIds } = await upsertAndRescore(deps, auth.workspaceId, [{ id: params.contactId, ...body }]);
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
      const { contacts, createdIds } = await upsertAndRescore(deps, auth.workspaceId, body.contacts);
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
    response: contactSchema.extend({
      scores: z.array(z.object({ profileId: z.uuid(), profileName: z.string(), version: z.number().int(), score: z.number(), band: z.object({ name: z.string(), color: z.string() }).nullable() })),
    }),
    errors: [404],
    handler: async ({ auth, params }) => {
      const contact = await getContact(db, auth.workspaceId, params.contactId);
      if (!contact) throw notFound(`No contact ${params.contactId}.`);
      const now = clock.now().getTime();
      const scores = [];
      for (const row of await liveVersions(db, auth.workspaceId)) {
        const { model } = engine.model(row);
        const score = model.report(model.rawAt(await contactLedger(db, auth.workspaceId, row.id, contact.id), now));
        scores.push({ profileId: row.profileId, profileName: row.profileName, version: row.version, score, band: bandJson(model, score) });
      }
      return { ...contactJson(contact), scores };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts',
    operationId: 'listContacts',
    tag: 'Contacts',
    summary: 'Filter contacts (by tag, account, owner, and by score in a profile)',
    description:
      'Keyset-paginated: follow `nextCursor` until it is null; pages stay stable while contacts are added. With `profileId`, every item carries its `score` and `band` in that profile, exact as of the request (later pages use the time of the first), and `minScore`/`maxScore` (inclusive) and `band` filter on the score as shown. Sorting by score is answered from an index; ties are broken by contact id in the same direction.',
    role: 'reader',
    query: z.strictObject({
      q: z.string().min(1).max(200).optional().describe('Contacts whose id or name starts with this (any case)'),
      tag: repeatable(z.string().min(1).max(100)).optional().describe('Any of these tags (repeatable)'),
      accountId: z.string().min(1).max(200).optional(),
      ownerId: z.string().min(1).max(200).optional(),
      profileId: z.uuid().optional().describe('Score contacts in this published profile'),
      minScore: z.coerce.number().min(-1e9).max(1e9).optional().describe('Score at least this (inclusive; needs profileId)'),
      maxScore: z.coerce.number().min(-1e9).max(1e9).optional().describe('Score at most this (inclusive; needs profileId)'),
      band: z.string().min(1).max(100).optional().describe('Only contacts in this band (needs profileId)'),
      sort: z.enum(['id', 'lastInteractionAt', '-lastInteractionAt', 'score', '-score']).optional().describe('Default: -score with profileId, else id'),
      limit: limitQuery(1000, 50),
      cursor: cursorQuery,
    }),
    response: z.object({ items: z.array(scoredContactSchema), nextCursor: z.string().nullable() }),
    handler: async ({ auth, query }) => {
      const filter = { tags: query.tag, accountId: query.accountId, ownerId: query.ownerId, search: query.q };
      if (!query.profileId) {
        const needsProfile = (['minScore', 'maxScore', 'band'] as const).filter((name) => query[name] !== undefined);
        if (query.sort === 'score' || query.sort === '-score') needsProfile.push('sort' as never);
        if (needsProfile.length > 0) throw badRequest('Filtering or sorting by score needs a profileId.', needsProfile.map((name) => ({ path: name, message: 'needs profileId' })));
        const sort = (query.sort ?? 'id') as ContactSort;
        const after = decodeCursor(query.cursor, plainCursors.get(sort)!);
        const page = await listContacts(db, auth.workspaceId, filter, sort, query.limit, after);
        return {
          items: page.contacts.map(contactJson),
          nextCursor: page.more && page.last ? encodeCursor({ ...page.last, sort }) : null,
        };
      }
      const version = await liveVersionForFilter(auth.workspaceId, query.profileId);
      const { model } = version;
      const sort = query.sort ?? '-score';
      const cursor = decodeCursor(query.cursor, scoredCursors.get(sort as Sort)!);
      const t = cursor?.t ?? clock.now().getTime();
      // Anchors whose expiries are due are brought up to date first, so the index answers exactly.
      await engine.refreshAllStale(db, auth.workspaceId, version, clock);
      const bounds = scoreBounds(model, query.minScore, query.maxScore, query.band);
      const item = (contact: Contact & { raw?: number }) => {
        const score = model.report(contact.raw ?? 0);
        return { ...contactJson(contact), score, band: bandJson(model, score) };
      };
      if (sort === 'score' || sort === '-score') {
        const rows = await listByScore(db, {
          workspaceId: auth.workspaceId,
          versionId: version.id,
          decays: model.decays,
          timeKey: model.timeKey(t),
          bounds,
          filter,
          descending: sort === '-score',
          limit: query.limit + 1,
          after: cursor && cursor.s !== undefined ? { s: cursor.s, sign: cursor.sign!, key: cursor.key!, id: cursor.id, raw: cursor.raw! } : undefined,
        });
        const more = rows.length > query.limit;
        const page = more ? rows.slice(0, query.limit) : rows;
        const last = page[page.length - 1];
        return {
          items: page.map(item),
          nextCursor: more && last ? encodeCursor({ sort, t, id: last.id, s: last.s, sign: last.sign, key: last.key, raw: last.raw }) : null,
        };
      }
      const page = await listContacts(db, auth.workspaceId, filter, sort as ContactSort, query.limit, cursor ? { id: cursor.id, at: cursor.at } : undefined, {
        versionId: version.id,
        decays: model.decays,
        timeKey: model.timeKey(t),
        bounds,
      });
      return {
        items: page.contacts.map(item),
        nextCursor: page.more && page.last ? encodeCursor({ ...page.last, sort, t }) : null,
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
