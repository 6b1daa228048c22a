import type { ActiveVersion } from '../scoring/engine';
import type { ScoreModel } from '../scoring/math';
import { objectPaths } from '../scoring/profile-warnings';
import {
  eraseContact as eraseContactRows,
  getContact,
  listContacts,
  upsertContacts,
  type Contact,
  type ContactChanges,
  type ContactFilter,
  type ContactSort,
} from '../store/contacts';
import { transaction } from '../store/db';
import { appendScoreEvents } from '../store/scoring-log';
import { lockPartitions, partitionOf } from '../store/scoring-partitions';
import { currentScore } from '../scoring/score-answer';
import { encodeToken, readAfter, scoredInTime } from './consistency';
import { liveVersions, profileWithLiveVersion } from '../store/profiles';
import { listByScore } from '../store/score-list';
import { recordShapes } from '../store/shapes';
import { rawScoreBounds } from '../scoring/segments';
import type { AppContext } from './context';
import { invalid, notFound } from './errors';

/** Contacts: upserts that rescore, reads with scores, filtered and sorted lists, erasure. */

/**
 * Creates or updates contacts and appends to the scoring log what rules may see differently (a new
 * contact, or a change to what rules read: tags, attributes, account, owner), in one transaction;
 * then notes the attribute paths the editor's warnings know about. Answers the token of the change.
 */
export async function upsertAndRescore(
  ctx: AppContext,
  workspaceId: string,
  items: ContactChanges[],
  options: { wait?: boolean } = {},
): Promise<{ contacts: Contact[]; createdIds: Set<string>; token: string; scored?: boolean }> {
  const readByRules = (item: ContactChanges) => ['tags', 'attributes', 'accountId', 'ownerId'].some((key) => key in item);
  const changed = new Set(items.filter(readByRules).map((item) => item.id));
  const result = await transaction(ctx.db, async (client) => {
    const now = ctx.clock.now();
    const upserted = await upsertContacts(client, workspaceId, items, now);
    const events = upserted.contacts
      .filter((contact) => upserted.createdIds.has(contact.id) || changed.has(contact.id))
      .map((contact) => ({ kind: 'contact' as const, contactId: contact.id, payload: { created: upserted.createdIds.has(contact.id) } }));
    const position = await appendScoreEvents(client, workspaceId, events, now);
    return { ...upserted, position };
  });
  const paths = new Set<string>();
  for (const item of items) if (item.attributes) objectPaths(item.attributes, '', 0, paths);
  await recordShapes(
    ctx.db,
    workspaceId,
    [...paths].map((value) => ({ kind: 'attribute', value })),
  ).catch(() => undefined);
  const scored = options.wait
    ? result.position === 0 ||
      (await scoredInTime(
        ctx,
        result.position,
        items.map((item) => item.id),
      ))
    : undefined;
  return { contacts: result.contacts, createdIds: result.createdIds, token: encodeToken(result.position), scored };
}

/** A batch names each contact once. */
export function duplicatesInBatch(ids: readonly string[]): { path: string; message: string }[] {
  const seen = new Map<string, number>();
  return ids.flatMap((id, index) => {
    const first = seen.get(id);
    seen.set(id, first ?? index);
    return first === undefined ? [] : [{ path: `contacts.${index}.id`, message: `duplicates contacts.${first}.id` }];
  });
}

/** A contact with its score in every published profile, now. */
export async function contactWithScores(ctx: AppContext, workspaceId: string, contactId: string, consistency?: string) {
  await readAfter(ctx, consistency, [contactId]);
  const contact = await getContact(ctx.db, workspaceId, contactId);
  if (!contact) throw notFound(`No contact ${contactId}.`);
  const now = ctx.clock.now().getTime();
  const scores = [];
  for (const row of await liveVersions(ctx.db, workspaceId)) {
    const version = ctx.engine.activate(row);
    // null (with the reason) below the profile's minInteractions.
    const shown = (await currentScore(ctx.db, workspaceId, version, contact.id, now))!;
    scores.push({ profileId: row.profileId, profileName: row.profileName, version: row.version, ...shown });
  }
  return { contact, scores };
}

/** Erases a contact and everything recorded about it, holding its scoring partition so no worker is scoring it meanwhile. */
export async function eraseContact(ctx: AppContext, workspaceId: string, contactId: string): Promise<void> {
  const erased = await transaction(ctx.db, async (client) => {
    await lockPartitions(client, [partitionOf(contactId)]);
    return eraseContactRows(client, workspaceId, contactId);
  });
  if (!erased) throw notFound(`No contact ${contactId}.`);
}

export type ListSort = 'id' | 'lastInteractionAt' | '-lastInteractionAt' | 'score' | '-score';

export type ContactQuery = {
  filter: ContactFilter;
  profileId?: string;
  minScore?: number;
  maxScore?: number;
  band?: string;
  sort?: ListSort;
  limit: number;
  /** A write's token: answer once it is scored. */
  consistency?: string;
};

/** Where a page ended (what a cursor carries): the sort, the time scores are computed at, and the last row's keys. */
export type ListPosition = {
  sort: ListSort;
  t?: number;
  id: string;
  at?: string | null;
  s?: number;
  sign?: number;
  key?: number;
  raw?: number;
};

export type ListedContact = Contact & { score?: number; band?: { name: string; color: string } | null };

/** The published version a list filters by (a bad profileId is the request's field error, not a missing resource). */
export async function versionForList(ctx: AppContext, workspaceId: string, profileId: string): Promise<ActiveVersion> {
  const found = await profileWithLiveVersion(ctx.db, workspaceId, profileId);
  if (!found || found.profile.archivedAt || !found.live)
    throw invalid('profileId names no published profile of this workspace.', [
      { path: 'profileId', message: 'no published profile with this id' },
    ]);
  return ctx.engine.activate(found.live);
}

/** Raw-score bounds of minScore, maxScore and a band, as the shown (2-decimal) score decides them. */
export function scoreBounds(model: ScoreModel, minScore: number | undefined, maxScore: number | undefined, bandName: string | undefined) {
  const bounds = rawScoreBounds(model, minScore, maxScore, bandName);
  if (!bounds)
    throw invalid(`The profile has no band ${JSON.stringify(bandName)}.`, [
      { path: 'band', message: `one of: ${model.profile.bands.map((band) => band.name).join(', ') || '(the profile has no bands)'}` },
    ]);
  return bounds;
}

/**
 * One page of contacts: filtered by tags, account, owner and id/name, and with a profile by score
 * (exact at the time of the first page), sorted by id, last interaction or score (from the anchors'
 * index). Later pages continue from `after`.
 */
export async function findContacts(
  ctx: AppContext,
  workspaceId: string,
  query: ContactQuery,
  after?: ListPosition,
): Promise<{ items: ListedContact[]; next: ListPosition | null }> {
  const { db } = ctx;
  if (!query.profileId) {
    const needsProfile: string[] = (['minScore', 'maxScore', 'band'] as const).filter((name) => query[name] !== undefined);
    if (query.sort === 'score' || query.sort === '-score') needsProfile.push('sort');
    if (needsProfile.length > 0)
      throw invalid(
        'Filtering or sorting by score needs a profileId.',
        needsProfile.map((name) => ({ path: name, message: 'needs profileId' })),
      );
    const sort = (query.sort ?? 'id') as ContactSort;
    const page = await listContacts(db, workspaceId, query.filter, sort, query.limit, after);
    return { items: page.contacts, next: page.more && page.last ? { ...page.last, sort } : null };
  }
  await readAfter(ctx, query.consistency, null);
  const version = await versionForList(ctx, workspaceId, query.profileId);
  const { model } = version;
  const sort = query.sort ?? '-score';
  const t = after?.t ?? ctx.clock.now().getTime();
  // Anchors whose expiries are due are brought up to date first, so the index answers exactly.
  await ctx.engine.refreshStale(ctx.db, workspaceId, version, ctx.clock.now().getTime());
  const bounds = scoreBounds(model, query.minScore, query.maxScore, query.band);
  const scored = (contact: Contact & { raw?: number }): ListedContact => {
    const score = model.report(contact.raw ?? 0);
    return { ...contact, score, band: model.bandView(score) };
  };
  if (sort === 'score' || sort === '-score') {
    const rows = await listByScore(db, {
      workspaceId,
      versionId: version.id,
      decays: model.decays,
      timeKey: model.timeKey(t),
      bounds,
      filter: query.filter,
      descending: sort === '-score',
      limit: query.limit + 1,
      after: after && after.s !== undefined ? { s: after.s, sign: after.sign!, key: after.key!, id: after.id, raw: after.raw! } : undefined,
    });
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page[page.length - 1];
    return {
      items: page.map(scored),
      next: more && last ? { sort, t, id: last.id, s: last.s, sign: last.sign, key: last.key, raw: last.raw } : null,
    };
  }
  const page = await listContacts(db, workspaceId, query.filter, sort, query.limit, after ? { id: after.id, at: after.at } : undefined, {
    versionId: version.id,
    decays: model.decays,
    timeKey: model.timeKey(t),
    bounds,
  });
  return { items: page.contacts.map(scored), next: page.more && page.last ? { ...page.last, sort, t } : null };
}
