import type { ActiveVersion } from '../scoring/engine';
import type { InteractionRecord } from '../model/interaction';
import { contactFact } from '../scoring/evaluate';
import { round2, ScoreModel } from '../scoring/math';
import { compileProfile, validateProfile, type ProfileDocument } from '../scoring/profile';
import { profileWarnings, type ProfileWarning } from '../scoring/profile-warnings';
import { explain } from '../scoring/explanations';
import { adjustmentsOf } from '../store/adjustments';
import { getContacts } from '../store/contacts';
import { transaction, type Queryable } from '../store/db';
import { interactionsOfContacts } from '../store/interactions';
import { contactEntries } from '../scoring/history';
import { insertJob } from '../store/jobs';
import {
  archiveProfile as archiveProfileRow,
  getProfile as getProfileRow,
  getVersionByNumber,
  insertProfile,
  insertVersion,
  listProfiles as listProfileRows,
  listVersions as listVersionRows,
  profileStatuses,
  profileWithLiveVersion,
  publishingVersion,
  updateDraft,
  type ProfileRow,
  type ProfileStatus,
} from '../store/profiles';
import { loadShapes } from '../store/shapes';
import { actorName, type Actor, type AppContext } from './context';
import { conflict, invalid, notFound, preconditionFailed, type FieldProblem } from './errors';

/** Score profiles: drafts with optimistic concurrency, validation with warnings, previews, publishing, versions, impact. */

export type ProfileView = ReturnType<typeof profileView>;

function profileView(row: ProfileRow, status: ProfileStatus | undefined) {
  const draft = row.draft as ProfileDocument;
  const live = status?.live ?? null;
  return {
    id: row.id,
    name: row.name,
    kind: draft.kind,
    status: row.archivedAt ? ('archived' as const) : live ? ('published' as const) : ('draft' as const),
    version: live?.version ?? 0,
    revision: row.revision,
    draft,
    published: (live?.document as ProfileDocument | undefined) ?? null,
    publishing: status?.publishing?.jobId ? { version: status.publishing.version, job: { id: status.publishing.jobId } } : null,
    live: live
      ? { version: live.version, publishedAt: live.publishedAt, publishedBy: live.publishedBy, contactsScored: live.contactsScored }
      : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

async function viewOf(db: Queryable, workspaceId: string, row: ProfileRow): Promise<ProfileView> {
  return profileView(row, (await profileStatuses(db, workspaceId, [row.id])).get(row.id));
}

/** A profile of the workspace (not found otherwise). */
export async function requireProfile(db: Queryable, workspaceId: string, id: string, lock = false): Promise<ProfileRow> {
  const profile = await getProfileRow(db, workspaceId, id, lock);
  if (!profile) throw notFound(`No profile ${id}.`);
  return profile;
}

/** The version a profile's reads are served from: not found for an unknown profile, a conflict before its first publish has finished. */
export async function requireLiveVersion(ctx: AppContext, workspaceId: string, profileId: string): Promise<ActiveVersion> {
  const found = ctx.caches
    ? await ctx.caches.profileWithLiveVersion(workspaceId, profileId)
    : await profileWithLiveVersion(ctx.db, workspaceId, profileId);
  if (!found) throw notFound(`No profile ${profileId}.`);
  const { profile, live } = found;
  if (profile.archivedAt) throw conflict(`Profile ${profile.id} is archived.`);
  if (!live)
    throw conflict(`Profile ${profile.id} has no published version yet: publish it first (POST /v1/profiles/${profile.id}/publish).`);
  return ctx.engine.activate(live);
}

/** A valid document, or the problems with their paths (prefixed with where the document sits in the request). */
export function checkedDocument(input: unknown, prefix = ''): ProfileDocument {
  const validation = validateProfile(input);
  if (!validation.ok) {
    throw invalid(
      `The profile is not valid: ${validation.errors.length} problem(s), see errors.`,
      validation.errors.map((error) => ({
        path: prefix ? (error.path === '(document)' ? prefix : `${prefix}.${error.path}`) : error.path,
        message: error.message,
      })),
    );
  }
  return validation.document;
}

/** `If-Match` against the draft's revision: a stale one is refused with the profile as it is now. */
async function checkRevision(db: Queryable, workspaceId: string, row: ProfileRow, expected: number | undefined): Promise<void> {
  if (expected === undefined || expected === row.revision) return;
  throw preconditionFailed(
    `The draft changed since you read it (your revision ${expected}, now ${row.revision}): someone else saved it meanwhile.`,
    { current: await viewOf(db, workspaceId, row) },
  );
}

export async function getProfile(ctx: AppContext, workspaceId: string, id: string): Promise<ProfileView> {
  return viewOf(ctx.db, workspaceId, await requireProfile(ctx.db, workspaceId, id));
}

export async function listProfiles(ctx: AppContext, workspaceId: string, includeArchived: boolean): Promise<ProfileView[]> {
  const rows = await listProfileRows(ctx.db, workspaceId, includeArchived);
  const statuses = await profileStatuses(
    ctx.db,
    workspaceId,
    rows.map((row) => row.id),
  );
  return rows.map((row) => profileView(row, statuses.get(row.id)));
}

export async function createProfile(ctx: AppContext, actor: Actor, body: unknown): Promise<ProfileView> {
  const document = checkedDocument(body);
  const row = await insertProfile(ctx.db, actor.workspaceId, document.name, document, ctx.clock.now());
  return viewOf(ctx.db, actor.workspaceId, row);
}

export async function replaceDraft(ctx: AppContext, actor: Actor, id: string, body: unknown, ifMatch?: number): Promise<ProfileView> {
  const document = checkedDocument(body);
  return transaction(ctx.db, async (client) => {
    const profile = await requireProfile(client, actor.workspaceId, id, true);
    if (profile.archivedAt) throw conflict(`Profile ${id} is archived.`);
    await checkRevision(client, actor.workspaceId, profile, ifMatch);
    const row = await updateDraft(client, actor.workspaceId, id, document.name, document, ctx.clock.now());
    return viewOf(client, actor.workspaceId, row!);
  });
}

export async function archiveProfile(ctx: AppContext, actor: Actor, id: string): Promise<void> {
  await transaction(ctx.db, async (client) => {
    await requireProfile(client, actor.workspaceId, id, true);
    await archiveProfileRow(client, actor.workspaceId, id, ctx.clock.now());
  });
}

/** Freezes the draft as a new version and queues the job that scores every contact with it. */
export async function publishProfile(
  ctx: AppContext,
  actor: Actor,
  id: string,
  options: { notify: boolean; ifMatch?: number },
): Promise<{ version: number; job: { id: string } }> {
  return transaction(ctx.db, async (client) => {
    const profile = await requireProfile(client, actor.workspaceId, id, true);
    if (profile.archivedAt) throw conflict(`Profile ${id} is archived.`);
    await checkRevision(client, actor.workspaceId, profile, options.ifMatch);
    const running = await publishingVersion(client, actor.workspaceId, id);
    if (running) throw conflict(`Version ${running.version} of this profile is still being published; wait for its job to finish.`);
    const document = checkedDocument(profile.draft);
    const now = ctx.clock.now();
    const version = await insertVersion(client, actor.workspaceId, id, document, now, actorName(actor));
    const job = await insertJob(
      client,
      actor.workspaceId,
      'publish',
      { profileId: id, versionId: version.id, notify: options.notify },
      now,
    );
    return { version: version.version, job: { id: job.id } };
  });
}

export async function listVersions(ctx: AppContext, workspaceId: string, id: string) {
  await requireProfile(ctx.db, workspaceId, id);
  const versions = await listVersionRows(ctx.db, workspaceId, id);
  return versions.map((version) => ({
    version: version.version,
    state: version.state,
    createdAt: version.createdAt,
    publishedAt: version.publishedAt,
    publishedBy: version.publishedBy,
    document: version.document as ProfileDocument,
  }));
}

/** Makes a version's document the draft again (the live version is untouched until the next publish). */
export async function restoreVersion(
  ctx: AppContext,
  actor: Actor,
  id: string,
  versionNumber: number,
  ifMatch?: number,
): Promise<ProfileView> {
  return transaction(ctx.db, async (client) => {
    const profile = await requireProfile(client, actor.workspaceId, id, true);
    if (profile.archivedAt) throw conflict(`Profile ${id} is archived.`);
    await checkRevision(client, actor.workspaceId, profile, ifMatch);
    const version = await getVersionByNumber(client, actor.workspaceId, id, versionNumber);
    if (!version) throw notFound(`Profile ${id} has no version ${versionNumber}.`);
    const document = version.document as ProfileDocument;
    const row = await updateDraft(client, actor.workspaceId, id, document.name, document, ctx.clock.now());
    return viewOf(client, actor.workspaceId, row!);
  });
}

export type Validation = { valid: boolean; errors: FieldProblem[]; warnings: ProfileWarning[] };

/** Errors with their paths, and — for a valid document — warnings given what this workspace has stored. */
export async function validateDocument(ctx: AppContext, workspaceId: string, body: unknown): Promise<Validation> {
  const validation = validateProfile(body);
  if (!validation.ok) return { valid: false, errors: validation.errors, warnings: [] };
  return { valid: true, errors: [], warnings: profileWarnings(validation.document, await loadShapes(ctx.db, workspaceId)) };
}

export type PreviewRequest = {
  /** An unsaved document to try (default: the profile's draft). */
  document?: unknown;
  contactIds?: string[];
  interactions?: (Omit<InteractionRecord, 'seq' | 'occurredAt' | 'id' | 'actorId' | 'channel' | 'direction' | 'properties'> & {
    id?: string;
    occurredAt?: Date;
    actorId?: string | null;
    channel?: string | null;
    direction?: string | null;
    properties?: Record<string, unknown> | null;
  })[];
};

function draftVersion(document: ProfileDocument, profile: { id: string; name: string } | null): ActiveVersion {
  const compiled = compileProfile(document);
  return {
    id: 0,
    profileId: profile?.id ?? '',
    profileName: profile?.name ?? document.name,
    version: 0,
    state: 'publishing',
    profile: compiled,
    model: new ScoreModel(compiled),
    thresholds: [],
    levels: [],
    segmentsWatch: false,
  };
}

/**
 * "Test a record": scores stored contacts (from all their interactions and adjustments) or inline
 * interactions with a document — the draft, or an unsaved one — next to the live version. Stores nothing.
 */
export async function previewProfile(ctx: AppContext, workspaceId: string, profileId: string | null, request: PreviewRequest) {
  const { db, engine } = ctx;
  const profile = profileId === null ? null : await requireProfile(db, workspaceId, profileId);
  const document =
    request.document !== undefined ? checkedDocument(request.document, 'document') : profile ? checkedDocument(profile.draft) : undefined;
  if (!document) throw invalid('Give the document to preview.', [{ path: 'document', message: 'required without a profile' }]);
  const draft = draftVersion(document, profile);
  const live =
    profile && profile.liveVersionId !== null && !profile.archivedAt ? await requireLiveVersion(ctx, workspaceId, profile.id) : undefined;
  const now = ctx.clock.now().getTime();
  const items = [];
  if (request.contactIds) {
    const contacts = await getContacts(db, workspaceId, [...new Set(request.contactIds)]);
    const missing = request.contactIds.filter((id) => !contacts.some((contact) => contact.id === id));
    if (missing.length > 0) throw notFound(`No contact ${missing.join(', ')}.`);
    const ids = contacts.map((contact) => contact.id);
    const interactions = await interactionsOfContacts(db, workspaceId, ids);
    const adjustments = profile ? await adjustmentsOf(db, workspaceId, profile.id, ids) : [];
    for (const contact of contacts) {
      const entries = engine.entriesFromHistory(
        draft,
        contactFact(contact),
        interactions.filter((item) => item.contactId === contact.id),
        adjustments.filter((item) => item.contactId === contact.id),
        now,
      );
      const publishedEntries = live ? await contactEntries(db, workspaceId, live, contact.id) : undefined;
      items.push(await previewItem(db, workspaceId, draft, live, contact.id, entries, publishedEntries, now));
    }
  } else {
    const records = request.interactions!.map((item, index): InteractionRecord => ({
      seq: index + 1,
      id: item.id ?? `preview-${index}`,
      contactId: item.contactId,
      type: item.type,
      occurredAt: item.occurredAt ? item.occurredAt.getTime() : now,
      actorId: item.actorId ?? null,
      channel: item.channel ?? null,
      direction: item.direction ?? null,
      properties: item.properties ?? null,
    }));
    const ids = [...new Set(records.map((record) => record.contactId))];
    const stored = new Map((await getContacts(db, workspaceId, ids)).map((contact) => [contact.id, contact]));
    for (const id of ids) {
      const contact = contactFact(stored.get(id) ?? { id, tags: [], attributes: {}, accountId: null, ownerId: null });
      const own = records.filter((record) => record.contactId === id);
      const entries = engine.entriesFromHistory(draft, contact, own, [], now);
      const publishedEntries = live ? engine.entriesFromHistory(live, contact, own, [], now) : undefined;
      items.push(await previewItem(db, workspaceId, draft, live, id, entries, publishedEntries, now));
    }
  }
  return { items };
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
  const published = live && publishedEntries ? await explain(db, workspaceId, live, publishedEntries, now) : null;
  const publishedScore = published && live ? live.model.report(published.raw) : null;
  const band = draft.model.bandView(score);
  const publishedBand = publishedScore !== null && live ? live.model.bandView(publishedScore) : null;
  return {
    contactId,
    draft: { score, band, explanation: lines, clamp: draft.model.clampOf(raw) },
    published:
      live && published && publishedScore !== null
        ? { version: live.version, score: publishedScore, band: publishedBand, explanation: published.lines }
        : null,
    delta: publishedScore === null ? null : round2(score - publishedScore),
    bandChanged: publishedScore === null ? null : (band?.name ?? null) !== (publishedBand?.name ?? null),
  };
}

/** Queues the job that compares a document (default: the draft) with the live version over every contact. */
export async function startImpact(ctx: AppContext, actor: Actor, id: string, document?: unknown): Promise<{ job: { id: string } }> {
  const profile = await requireProfile(ctx.db, actor.workspaceId, id);
  if (profile.archivedAt) throw conflict(`Profile ${id} is archived.`);
  const checked = document !== undefined ? checkedDocument(document, 'document') : checkedDocument(profile.draft);
  const job = await insertJob(
    ctx.db,
    actor.workspaceId,
    'impact',
    { profileId: id, document: checked, liveVersionId: profile.liveVersionId },
    ctx.clock.now(),
  );
  return { job: { id: job.id } };
}
