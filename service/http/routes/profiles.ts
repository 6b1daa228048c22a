import { z } from 'zod/v4';
import type { ActiveVersion, ScoringEngine } from '../../scoring/engine';
import { contactFact, type InteractionRecord } from '../../scoring/evaluate';
import { ScoreModel } from '../../scoring/math';
import { compileProfile, profileDocumentSchema, validateProfile, type ProfileDocument } from '../../scoring/profile';
import { bandJson, contactLedger, explain } from '../../scoring/read';
import { adjustmentsOf } from '../../store/adjustments';
import { getContacts } from '../../store/contacts';
import { transaction, type Queryable } from '../../store/db';
import { interactionsOfContacts } from '../../store/interactions';
import { activeJobFor, getJob, insertJob } from '../../store/jobs';
import { archiveProfile, getProfile, getVersion, insertProfile, insertVersion, listProfiles, listVersions, profileWithLiveVersion, publishingVersion, updateDraft, type ProfileRow, type VersionRow } from '../../store/profiles';
import type { AppDeps } from '../deps';
import { badRequest, conflict, notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { contactIdSchema, isoDateTime, uuidParams } from '../schemas';
import { interactionInputSchema } from './interactions';

const profileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['points', 'relationship', 'manual']),
    status: z.enum(['draft', 'published', 'archived']).describe('draft: never published; published: a version is live'),
    version: z.number().int().describe('The live version (0 before the first publish)'),
    draft: profileDocumentSchema,
    published: profileDocumentSchema.nullable().describe('The live version’s document'),
    publishing: z.object({ version: z.number().int(), job: z.object({ id: z.uuid() }) }).nullable().describe('A publish in progress'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Profile' });

const jobSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    state: z.enum(['queued', 'running', 'succeeded', 'failed']),
    total: z.number().int(),
    done: z.number().int(),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    error: z.string().optional(),
  })
  .meta({ id: 'Job' });

/** The profile as the API shows it. */
export async function profileJson(db: Queryable, workspaceId: string, row: ProfileRow) {
  const live = row.liveVersionId === null ? undefined : await getVersion(db, workspaceId, row.liveVersionId);
  const publishing = await publishingVersion(db, workspaceId, row.id);
  const job = publishing ? await activeJobFor(db, workspaceId, 'publish', 'versionId', String(publishing.id)) : undefined;
  const draft = row.draft as ProfileDocument;
  return {
    id: row.id,
    name: row.name,
    kind: draft.kind,
    status: row.archivedAt ? 'archived' : live ? 'published' : 'draft',
    version: live?.version ?? 0,
    draft,
    published: (live?.document as ProfileDocument | undefined) ?? null,
    publishing: publishing && job ? { version: publishing.version, job: { id: job.id } } : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A profile of the workspace (404 otherwise). */
export async function requireProfile(db: Queryable, workspaceId: string, id: string, lock = false): Promise<ProfileRow> {
  const profile = await getProfile(db, workspaceId, id, lock);
  if (!profile) throw notFound(`No profile ${id}.`);
  return profile;
}

/** The version a profile's reads are served from: 404 for an unknown profile, 409 before its first publish has finished. */
export async function requireLiveVersion(db: Queryable, engine: ScoringEngine, workspaceId: string, profileId: string): Promise<ActiveVersion> {
  const found = await profileWithLiveVersion(db, workspaceId, profileId);
  if (!found) throw notFound(`No profile ${profileId}.`);
  const { profile, live } = found;
  if (profile.archivedAt) throw conflict(`Profile ${profile.id} is archived.`);
  if (!live) throw conflict(`Profile ${profile.id} has no published version yet: publish it first (POST /v1/profiles/${profile.id}/publish).`);
  return engine.activate(live);
}

function checkedDocument(body: unknown): ProfileDocument {
  const validation = validateProfile(body);
  if (!validation.ok) throw badRequest(`The profile is not valid: ${validation.errors.length} problem(s), see errors.`, validation.errors);
  return validation.document;
}

export function jobJson(job: Awaited<ReturnType<typeof getJob>> & object) {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    total: job.total,
    done: job.done,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    ...(job.error && job.state !== 'succeeded' ? { error: job.error } : {}),
  };
}

const previewBody = z
  .strictObject({
    contactIds: z.array(contactIdSchema).min(1).max(100).optional().describe('Score these stored contacts with the draft'),
    interactions: z.array(interactionInputSchema).min(1).max(1000).optional().describe('Or score these interactions (nothing is stored)'),
  })
  .refine((body) => (body.contactIds ? 1 : 0) + (body.interactions ? 1 : 0) === 1, { message: 'give contactIds or interactions (one of them)', path: ['contactIds'] });

export function profileRoutes(api: RouteRegistry, { db, clock, engine }: AppDeps): void {
  api.add({
    method: 'post',
    path: '/v1/profiles',
    operationId: 'createProfile',
    tag: 'Profiles',
    summary: 'Create a score profile (as a draft)',
    description: 'Rules are json-rules-engine rules over the facts `interaction` and `contact`. Invalid documents are refused with the path of each problem.',
    role: 'admin',
    body: profileDocumentSchema,
    status: 201,
    response: profileSchema,
    handler: async ({ auth, body }) => {
      const document = checkedDocument(body);
      const row = await insertProfile(db, auth.workspaceId, document.name, document, clock.now());
      return new Reply(201, await profileJson(db, auth.workspaceId, row));
    },
  });

  api.add({
    method: 'get',
    path: '/v1/profiles',
    operationId: 'listProfiles',
    tag: 'Profiles',
    summary: 'List profiles',
    role: 'reader',
    query: z.strictObject({ includeArchived: z.enum(['true', 'false']).default('false') }),
    response: z.object({ items: z.array(profileSchema) }),
    handler: async ({ auth, query }) => {
      const rows = await listProfiles(db, auth.workspaceId, query.includeArchived === 'true');
      return { items: await Promise.all(rows.map((row) => profileJson(db, auth.workspaceId, row))) };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id',
    operationId: 'getProfile',
    tag: 'Profiles',
    summary: 'Get a profile: its draft and its live version',
    role: 'reader',
    params: uuidParams,
    response: profileSchema,
    errors: [404],
    handler: async ({ auth, params }) => profileJson(db, auth.workspaceId, await requireProfile(db, auth.workspaceId, params.id)),
  });

  api.add({
    method: 'put',
    path: '/v1/profiles/:id',
    operationId: 'updateProfile',
    tag: 'Profiles',
    summary: 'Replace the draft (the live version is untouched until the next publish)',
    role: 'admin',
    params: uuidParams,
    body: profileDocumentSchema,
    response: profileSchema,
    errors: [404, 409],
    handler: async ({ auth, params, body }) => {
      const document = checkedDocument(body);
      const profile = await requireProfile(db, auth.workspaceId, params.id);
      if (profile.archivedAt) throw conflict(`Profile ${params.id} is archived.`);
      const row = await updateDraft(db, auth.workspaceId, params.id, document.name, document, clock.now());
      return profileJson(db, auth.workspaceId, row!);
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/profiles/:id',
    operationId: 'archiveProfile',
    tag: 'Profiles',
    summary: 'Archive a profile: it stops scoring and leaves lists; its history stays',
    role: 'admin',
    params: uuidParams,
    errors: [404],
    handler: async ({ auth, params }) => {
      await transaction(db, async (client) => {
        await requireProfile(client, auth.workspaceId, params.id, true);
        await archiveProfile(client, auth.workspaceId, params.id, clock.now());
      });
      return undefined;
    },
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/publish',
    operationId: 'publishProfile',
    tag: 'Profiles',
    summary: 'Publish the draft as a new version, scoring every contact in the background',
    description:
      'Answers at once with the new version number and a job to follow at GET /v1/jobs/{id}. Reads keep serving the previous version until the job finishes, then switch in one step. Scores change silently unless `notify` is true.',
    role: 'admin',
    params: uuidParams,
    body: z.strictObject({ notify: z.boolean().default(false).describe('Deliver the threshold crossings the new version causes') }).default({ notify: false }),
    status: 202,
    response: z.object({ version: z.number().int(), job: z.object({ id: z.uuid() }) }),
    errors: [404, 409],
    handler: async ({ auth, params, body }) => {
      const result = await transaction(db, async (client) => {
        const profile = await requireProfile(client, auth.workspaceId, params.id, true);
        if (profile.archivedAt) throw conflict(`Profile ${params.id} is archived.`);
        const running = await publishingVersion(client, auth.workspaceId, params.id);
        if (running) throw conflict(`Version ${running.version} of this profile is still being published; wait for its job to finish.`);
        const document = checkedDocument(profile.draft);
        const now = clock.now();
        const version = await insertVersion(client, auth.workspaceId, params.id, document, now);
        const job = await insertJob(client, auth.workspaceId, 'publish', { profileId: params.id, versionId: version.id, notify: body.notify }, now);
        return { version: version.version, job: { id: job.id } };
      });
      return new Reply(202, result);
    },
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/versions',
    operationId: 'listProfileVersions',
    tag: 'Profiles',
    summary: 'Every published version, newest first',
    role: 'reader',
    params: uuidParams,
    response: z.object({
      items: z.array(z.object({ version: z.number().int(), state: z.enum(['publishing', 'live', 'retired', 'failed']), createdAt: isoDateTime, publishedAt: isoDateTime.nullable(), document: profileDocumentSchema })),
    }),
    errors: [404],
    handler: async ({ auth, params }) => {
      await requireProfile(db, auth.workspaceId, params.id);
      const versions = await listVersions(db, auth.workspaceId, params.id);
      return { items: versions.map((version: VersionRow) => ({ version: version.version, state: version.state, createdAt: version.createdAt, publishedAt: version.publishedAt, document: version.document })) };
    },
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/preview',
    operationId: 'previewProfile',
    tag: 'Profiles',
    summary: 'Test a record: score contacts (or inline interactions) with the draft, next to the published score',
    description: 'Nothing is stored. Stored contacts are scored from all their interactions and adjustments; inline interactions are scored on their own under both the draft and the published version.',
    role: 'reader',
    params: uuidParams,
    body: previewBody,
    response: z.object({
      items: z.array(
        z.object({
          contactId: z.string(),
          draft: z.object({ score: z.number(), band: z.object({ name: z.string(), color: z.string() }).nullable(), explanation: z.array(z.record(z.string(), z.unknown())), clamp: z.unknown().nullable() }),
          published: z.object({ version: z.number().int(), score: z.number(), band: z.object({ name: z.string(), color: z.string() }).nullable() }).nullable(),
          delta: z.number().nullable(),
        }),
      ),
    }),
    errors: [404],
    handler: async ({ auth, params, body }) => {
      const profile = await requireProfile(db, auth.workspaceId, params.id);
      const draftProfile = compileProfile(checkedDocument(profile.draft));
      const draft = { id: 0, profileId: profile.id, profileName: profile.name, version: 0, state: 'publishing' as const, profile: draftProfile, model: new ScoreModel(draftProfile), thresholds: [], levels: [] };
      const live = profile.liveVersionId !== null && !profile.archivedAt ? await requireLiveVersion(db, engine, auth.workspaceId, profile.id) : undefined;
      const now = clock.now().getTime();
      const items = [];
      if (body.contactIds) {
        const contacts = await getContacts(db, auth.workspaceId, [...new Set(body.contactIds)]);
        const missing = body.contactIds.filter((id) => !contacts.some((contact) => contact.id === id));
        if (missing.length > 0) throw notFound(`No contact ${missing.join(', ')}.`);
        const interactions = await interactionsOfContacts(db, auth.workspaceId, contacts.map((contact) => contact.id));
        const adjustments = await adjustmentsOf(db, auth.workspaceId, profile.id, contacts.map((contact) => contact.id));
        for (const contact of contacts) {
          const entries = engine.entriesFromHistory(draft, contactFact(contact), interactions.filter((item) => item.contactId === contact.id), adjustments.filter((item) => item.contactId === contact.id), now);
          const publishedEntries = live ? await contactLedger(db, auth.workspaceId, live.id, contact.id) : undefined;
          items.push(await previewItem(db, auth.workspaceId, draft, live, contact.id, entries, publishedEntries, now));
        }
      } else {
        const records = body.interactions!.map((item, index): InteractionRecord => ({
          seq: index + 1,
          id: item.id ?? `preview-${index}`,
          contactId: item.contactId,
          type: item.type,
          occurredAt: item.occurredAt ? new Date(item.occurredAt).getTime() : now,
          actorId: item.actorId ?? null,
          channel: item.channel ?? null,
          direction: item.direction ?? null,
          properties: (item.properties as Record<string, unknown> | null | undefined) ?? null,
        }));
        const ids = [...new Set(records.map((record) => record.contactId))];
        const stored = new Map((await getContacts(db, auth.workspaceId, ids)).map((contact) => [contact.id, contact]));
        for (const id of ids) {
          const contact = contactFact(stored.get(id) ?? { id, tags: [], attributes: {}, accountId: null, ownerId: null });
          const own = records.filter((record) => record.contactId === id);
          const entries = engine.entriesFromHistory(draft, contact, own, [], now);
          const publishedEntries = live ? engine.entriesFromHistory(live, contact, own, [], now) : undefined;
          items.push(await previewItem(db, auth.workspaceId, draft, live, id, entries, publishedEntries, now));
        }
      }
      return { items };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/jobs/:id',
    operationId: 'getJob',
    tag: 'Profiles',
    summary: 'Progress of a background job (a publish): done/total',
    role: 'reader',
    params: uuidParams,
    response: jobSchema,
    errors: [404],
    handler: async ({ auth, params }) => {
      const job = await getJob(db, auth.workspaceId, params.id);
      if (!job) throw notFound(`No job ${params.id}.`);
      return jobJson(job);
    },
  });
}

async function previewItem(
  db: Queryable,
  workspaceId: string,
  draft: ActiveVersion,
  live: ActiveVersion | undefined,
  contactId: string,
  entries: Parameters<typeof explain>[3],
  publishedEntries: Parameters<typeof explain>[3] | undefined,
  now: number,
) {
  const { raw, lines } = await explain(db, workspaceId, draft, entries, now);
  const score = draft.model.report(raw);
  const published = live && publishedEntries ? live.model.report(live.model.rawAt(publishedEntries, now)) : null;
  return {
    contactId,
    draft: { score, band: bandJson(draft.model, score), explanation: lines, clamp: draft.model.clampOf(raw) },
    published: live && published !== null ? { version: live.version, score: published, band: bandJson(live.model, published) } : null,
    delta: published === null ? null : Math.round((score - published) * 100) / 100,
  };
}
