import { contactFilterOf } from '../scoring/segments';
import { countMatchingContacts, matchingContactIds, type ScoreJoin } from '../store/contacts';
import { transaction, type Queryable } from '../store/db';
import { insertJob } from '../store/jobs';
import { lockPartitions } from '../store/scoring-partitions';
import {
  deleteSegment as deleteSegmentRow,
  getSegment,
  insertSegment,
  listSegments,
  replaceMembers,
  replaceSegment as replaceSegmentRow,
  segmentNamed,
  setMembersSince,
  type Segment,
  type SegmentFilter,
} from '../store/segments';
import { activeSegmentSubscriptions, endSubscription } from '../store/subscriptions';
import { findContacts, scoreBounds, versionForList, type ListPosition, type ListSort } from './contacts';
import type { AppContext } from './context';
import { conflict, invalid, notFound, UseCaseError } from './errors';

/**
 * Saved segments (smart lists): a named filter that stays current. Members are computed from the
 * filter when asked (the same index-backed queries as GET /v1/contacts); a segment a subscription
 * watches also keeps its members, so that entries and exits can be told (scoring/segment-watcher.ts).
 */

export type SegmentInput = { name: string; description?: string | null; filter: SegmentFilter };

/** A workspace keeps at most this many segments: each watched one is checked on every change of a contact. */
export const MAX_SEGMENTS = 200;

export async function requireSegmentRow(db: Queryable, workspaceId: string, id: string, lock = false): Promise<Segment> {
  const segment = await getSegment(db, workspaceId, id, { lock });
  if (!segment) throw notFound(`No segment ${id}.`);
  return segment;
}

/** The filter as GET /v1/contacts takes it. */
function contactQueryOf(filter: SegmentFilter, now: number) {
  return {
    filter: contactFilterOf(filter, now),
    profileId: filter.profileId,
    minScore: filter.minScore,
    maxScore: filter.maxScore,
    band: filter.band,
  };
}

/** A profile that does not (or no longer) score is the segment's problem, named at its field. */
async function withFilterPaths<T>(work: () => Promise<T>, status: 'invalid' | 'conflict'): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UseCaseError && error.kind === 'invalid' && error.fields) {
      const fields = error.fields.map((field) => ({ path: `filter.${field.path}`, message: field.message }));
      if (status === 'invalid') throw invalid(error.message.replace(/^profileId/, 'filter.profileId'), fields);
      throw conflict(
        `The segment's filter cannot be applied any more: ${fields.map((field) => `${field.path} ${field.message}`).join('; ')}.`,
      );
    }
    throw error;
  }
}

/** The score part of the filter, against the profile's live version now (anchors brought up to date first). */
async function scoreJoin(ctx: AppContext, workspaceId: string, filter: SegmentFilter, now: number): Promise<ScoreJoin | undefined> {
  if (filter.profileId === undefined) return undefined;
  const version = await versionForList(ctx, workspaceId, filter.profileId);
  await ctx.engine.refreshStale(ctx.db, workspaceId, version, now);
  const { model } = version;
  return {
    versionId: version.id,
    decays: model.decays,
    timeKey: model.timeKey(now),
    bounds: scoreBounds(model, filter.minScore, filter.maxScore, filter.band),
  };
}

async function checkedFilter(ctx: AppContext, workspaceId: string, filter: SegmentFilter): Promise<void> {
  if (filter.profileId === undefined) return;
  await withFilterPaths(async () => {
    const version = await versionForList(ctx, workspaceId, filter.profileId!);
    scoreBounds(version.model, filter.minScore, filter.maxScore, filter.band);
  }, 'invalid');
}

export async function segmentSize(ctx: AppContext, workspaceId: string, segment: Segment): Promise<number> {
  const now = ctx.clock.now().getTime();
  const query = contactQueryOf(segment.filter, now);
  const score = await withFilterPaths(() => scoreJoin(ctx, workspaceId, segment.filter, now), 'conflict');
  return countMatchingContacts(ctx.db, workspaceId, query.filter, score);
}

export async function createSegment(ctx: AppContext, workspaceId: string, input: SegmentInput): Promise<Segment> {
  await checkedFilter(ctx, workspaceId, input.filter);
  const existing = await listSegments(ctx.db, workspaceId);
  if (existing.length >= MAX_SEGMENTS) throw conflict(`A workspace keeps at most ${MAX_SEGMENTS} segments; delete one first.`);
  const created = await insertSegment(
    ctx.db,
    workspaceId,
    { name: input.name, description: input.description ?? null, filter: input.filter },
    ctx.clock.now(),
  );
  if (!created)
    throw conflict(
      `A segment named ${JSON.stringify(input.name)} exists already (${(await segmentNamed(ctx.db, workspaceId, input.name))?.id}).`,
    );
  return created;
}

/** Replaces a segment's name, description and filter. A watched segment takes its members anew, silently (an edit is not an event). */
export async function replaceSegment(ctx: AppContext, workspaceId: string, id: string, input: SegmentInput): Promise<Segment> {
  await checkedFilter(ctx, workspaceId, input.filter);
  const named = await segmentNamed(ctx.db, workspaceId, input.name);
  if (named && named.id !== id) throw conflict(`A segment named ${JSON.stringify(input.name)} exists already (${named.id}).`);
  const before = await requireSegmentRow(ctx.db, workspaceId, id);
  const replaced = await replaceSegmentRow(
    ctx.db,
    workspaceId,
    id,
    { name: input.name, description: input.description ?? null, filter: input.filter },
    ctx.clock.now(),
  );
  if (!replaced) throw notFound(`No segment ${id}.`);
  if (before.membersSince !== null) {
    await startWatching(ctx, workspaceId, id);
    if (before.filter.profileId !== undefined && before.filter.profileId !== input.filter.profileId)
      await insertJob(ctx.db, workspaceId, 'reschedule', { profileId: before.filter.profileId }, ctx.clock.now());
  }
  return (await getSegment(ctx.db, workspaceId, id))!;
}

/** Deletes a segment; its subscriptions end with it (what they still had to deliver is cancelled). */
export async function deleteSegment(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
  const now = ctx.clock.now();
  await transaction(ctx.db, async (client) => {
    const segment = await requireSegmentRow(client, workspaceId, id, true);
    for (const subscription of await activeSegmentSubscriptions(client, workspaceId, [id]))
      await endSubscription(client, workspaceId, subscription.id, 'deleted', null, now);
    await deleteSegmentRow(client, workspaceId, id);
    if (segment.membersSince !== null && segment.filter.profileId !== undefined)
      await insertJob(client, workspaceId, 'reschedule', { profileId: segment.filter.profileId }, now);
  });
}

export async function listSegmentsOf(ctx: AppContext, workspaceId: string): Promise<Segment[]> {
  return listSegments(ctx.db, workspaceId);
}

/** The members now, as GET /v1/contacts would list them with the segment's filter (same sorts, cursors and speed). */
export async function segmentContacts(
  ctx: AppContext,
  workspaceId: string,
  segment: Segment,
  options: { sort?: ListSort; limit: number; consistency?: string },
  after?: ListPosition,
) {
  if (segment.filter.profileId === undefined && (options.sort === 'score' || options.sort === '-score'))
    throw invalid('Sorting by score needs a segment whose filter names a profile.', [
      { path: 'sort', message: 'the segment has no profileId: sort by id or lastInteractionAt' },
    ]);
  // Later pages keep the windows of the first (its time travels in the cursor for scored lists).
  const now = after?.t ?? ctx.clock.now().getTime();
  const query = contactQueryOf(segment.filter, now);
  return withFilterPaths(
    () => findContacts(ctx, workspaceId, { ...query, sort: options.sort, limit: options.limit, consistency: options.consistency }, after),
    'conflict',
  );
}

/**
 * Starts keeping a segment's members (its first subscription, or a new filter): every partition is held
 * meanwhile, so no scoring pass moves a contact between the snapshot and the first change it reports.
 * With a profile, its contacts are rescheduled so that decay across the segment's bounds wakes the scheduler.
 */
export async function startWatching(ctx: AppContext, workspaceId: string, segmentId: string): Promise<void> {
  const segment = await requireSegmentRow(ctx.db, workspaceId, segmentId);
  const now = ctx.clock.now();
  const query = contactQueryOf(segment.filter, now.getTime());
  // Anchors are brought up to date before the partitions are held (that refresh takes them itself).
  const score = await withFilterPaths(() => scoreJoin(ctx, workspaceId, segment.filter, now.getTime()), 'conflict');
  await transaction(ctx.db, async (client) => {
    await lockPartitions(client, null);
    await getSegment(client, workspaceId, segmentId, { lock: true });
    const members = await matchingContactIds(client, workspaceId, query.filter, score);
    await replaceMembers(client, workspaceId, segmentId, members, now);
    await setMembersSince(client, workspaceId, segmentId, now);
    if (segment.filter.profileId !== undefined)
      await insertJob(client, workspaceId, 'reschedule', { profileId: segment.filter.profileId }, now);
  });
}

/** Stops keeping the members of a segment nobody listens to any more. */
export async function stopWatchingIfUnheard(ctx: AppContext, workspaceId: string, segmentId: string): Promise<void> {
  await transaction(ctx.db, async (client) => {
    const segment = await getSegment(client, workspaceId, segmentId, { lock: true });
    if (!segment || segment.membersSince === null) return;
    if ((await activeSegmentSubscriptions(client, workspaceId, [segmentId])).length > 0) return;
    await setMembersSince(client, workspaceId, segmentId, null);
    if (segment.filter.profileId !== undefined)
      await insertJob(client, workspaceId, 'reschedule', { profileId: segment.filter.profileId }, ctx.clock.now());
  });
}
