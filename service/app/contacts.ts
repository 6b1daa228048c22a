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
import { contactLedger } from '../store/ledger';
import { liveVersions, profileWithLiveVersion } from '../store/profiles';
import { listByScore } from '../store/score-list';
import { recordShapes } from '../store/shapes';
import type { AppContext } from './context';
import { invalid, notFound } from './errors';

/** Contacts: upserts that rescore, reads with scores, filtered and sorted lists, erasure. */

/**
 * Creates or updates contacts, and rescores them where a change flips a state rule (or a contact is
 * new), in one transaction; then notes the attribute paths the editor's warnings know about.
 */
export async function upsertAndRescore(
  ctx: AppContext,
  workspaceId: string,
  items: ContactChanges[],
): Promise<{ contacts: Contact[]; createdIds: Set<string> }> {
  const result = await transaction(ctx.db, async (client) => {
    const now = ctx.clock.now();
    const upserted = await upsertContacts(client, workspaceId, items, now);
    await ctx.engine.onContactsChanged(client, workspaceId, upserted.contacts, upserted.createdIds, now.getTime());
    return upserted;
  });
  const paths = new Set<string>();
  for (const item of items) if (item.attributes) objectPaths(item.attributes, '', 0, paths);
  await recordShapes(
    ctx.db,
    workspaceId,
    [...paths].map((value) => ({ kind: 'attribute', value })),
  ).catch(() => undefined);
  return result;
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
export async function contactWithScores(ctx: AppContext, workspaceId: string, contactId: string) {
  const contact = await getContact(ctx.db, workspaceId, contactId);
  if (!contact) throw notFound(`No contact ${contactId}.`);
  const now = ctx.clock.now().getTime();
  const scores = [];
  for (const row of await liveVersions(ctx.db, workspaceId)) {
    const { model } = ctx.engine.model(row);
    const score = model.report(model.rawAt(await contactLedger(ctx.db, workspaceId, row.id, contact.id), now));
    scores.push({ profileId: row.profileId, profileName: row.profileName, version: row.version, score, band: model.bandView(score) });
  }
  return { contact, scores };
}

export async function eraseContact(ctx: AppContext, workspaceId: string, contactId: string): Promise<void> {
  const erased = await transaction(ctx.db, (client) => eraseContactRows(client, workspaceId, contactId));
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
async function versionForList(ctx: AppContext, workspaceId: string, profileId: string): Promise<ActiveVersion> {
  const found = await profileWithLiveVersion(ctx.db, workspaceId, profileId);
  if (!found || found.profile.archivedAt || !found.live)
    throw invalid('profileId names no published profile of this workspace.', [
      { path: 'profileId', message: 'no published profile with this id' },
    ]);
  return ctx.engine.activate(found.live);
}

/** Raw-score bounds of minScore, maxScore and a band, as the shown (2-decimal) score decides them. */
function scoreBounds(model: ScoreModel, minScore: number | undefined, maxScore: number | undefined, bandName: string | undefined) {
  let min = minScore === undefined ? -Infinity : model.rawThreshold(minScore);
  let max = maxScore === undefined ? Infinity : model.rawAtMostBound(maxScore);
  if (bandName !== undefined) {
    const bands = model.profile.bands;
    const index = bands.findIndex((band) => band.name === bandName);
    if (index === -1)
      throw invalid(`The profile has no band ${JSON.stringify(bandName)}.`, [
        { path: 'band', message: `one of: ${bands.map((band) => band.name).join(', ') || '(the profile has no bands)'}` },
      ]);
    const band = bands[index];
    min = Math.max(min, model.rawThreshold(band.min));
    max = Math.min(max, index === bands.length - 1 ? model.rawAtMostBound(band.max) : model.rawThreshold(band.max));
  }
  return { min, max };
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
  const version = await versionForList(ctx, workspaceId, query.profileId);
  const { model } = version;
  const sort = query.sort ?? '-score';
  const t = after?.t ?? ctx.clock.now().getTime();
  // Anchors whose expiries are due are brought up to date first, so the index answers exactly.
  await ctx.engine.refreshAllStale(db, workspaceId, version, ctx.clock);
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
