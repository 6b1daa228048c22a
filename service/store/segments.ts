import { invalidateCaches } from './notifications';
import type { Queryable } from './db';

/**
 * Saved segments (smart lists) and, for the segments a subscription watches, their members: the rows
 * that tell who entered and who left (see app/segments.ts and scoring/segment-watcher.ts).
 */

/** A segment's filter as stored: what GET /v1/contacts filters by, plus the last-interaction windows. */
export type SegmentFilter = {
  profileId?: string;
  minScore?: number;
  maxScore?: number;
  band?: string;
  /** Any of these tags. */
  tags?: string[];
  /** All of these tags. */
  allTags?: string[];
  accountId?: string;
  ownerId?: string;
  /** A duration ("30d"): the last interaction is older than this (a contact never interacted with is). */
  lastInteractionBefore?: string;
  /** A duration ("7d"): the last interaction is at most this old. */
  lastInteractionAfter?: string;
};

export type Segment = {
  id: string;
  name: string;
  description: string | null;
  filter: SegmentFilter;
  /** Since when segment_members holds its members (null: no subscription watches it). */
  membersSince: Date | null;
  sweptUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const columns = `id, name, description, filter, members_since AS "membersSince", swept_until AS "sweptUntil",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function insertSegment(
  db: Queryable,
  workspaceId: string,
  input: { name: string; description: string | null; filter: SegmentFilter },
  now: Date,
): Promise<Segment | undefined> {
  const { rows } = await db.query<Segment>(
    `INSERT INTO segments (workspace_id, name, description, filter, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (workspace_id, lower(name)) DO NOTHING RETURNING ${columns}`,
    [workspaceId, input.name, input.description, input.filter, now],
  );
  return rows[0];
}

export async function replaceSegment(
  db: Queryable,
  workspaceId: string,
  id: string,
  input: { name: string; description: string | null; filter: SegmentFilter },
  now: Date,
): Promise<Segment | undefined> {
  const { rows } = await db.query<Segment>(
    `UPDATE segments SET name = $3, description = $4, filter = $5, updated_at = $6 WHERE workspace_id = $1 AND id = $2 RETURNING ${columns}`,
    [workspaceId, id, input.name, input.description, input.filter, now],
  );
  return rows[0];
}

export async function getSegment(
  db: Queryable,
  workspaceId: string,
  id: string,
  options: { lock?: boolean } = {},
): Promise<Segment | undefined> {
  const { rows } = await db.query<Segment>(
    `SELECT ${columns} FROM segments WHERE workspace_id = $1 AND id = $2${options.lock ? ' FOR UPDATE' : ''}`,
    [workspaceId, id],
  );
  return rows[0];
}

export async function segmentNamed(db: Queryable, workspaceId: string, name: string): Promise<Segment | undefined> {
  const { rows } = await db.query<Segment>(`SELECT ${columns} FROM segments WHERE workspace_id = $1 AND lower(name) = lower($2)`, [
    workspaceId,
    name,
  ]);
  return rows[0];
}

export async function listSegments(db: Queryable, workspaceId: string): Promise<Segment[]> {
  const { rows } = await db.query<Segment>(`SELECT ${columns} FROM segments WHERE workspace_id = $1 ORDER BY lower(name), id`, [
    workspaceId,
  ]);
  return rows;
}

/** Deletes the segment with its members (cascade); its subscriptions are ended by the caller. */
export async function deleteSegment(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM segments WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
  return (rowCount ?? 0) > 0;
}

/** The segments of a workspace whose members are kept (a subscription watches them). */
export async function watchedSegments(db: Queryable, workspaceId: string): Promise<Segment[]> {
  const { rows } = await db.query<Segment>(
    `SELECT ${columns} FROM segments WHERE workspace_id = $1 AND members_since IS NOT NULL ORDER BY id`,
    [workspaceId],
  );
  return rows;
}

/**
 * Watched segments with a last-interaction window whose sweep is behind `now`, locked for this sweep
 * (another instance's sweep skips them), across workspaces.
 */
export async function segmentsToSweep(db: Queryable, now: Date, limit: number): Promise<(Segment & { workspaceId: string })[]> {
  const { rows } = await db.query<Segment & { workspaceId: string }>(
    `SELECT workspace_id AS "workspaceId", ${columns} FROM segments
      WHERE members_since IS NOT NULL AND (filter ? 'lastInteractionBefore' OR filter ? 'lastInteractionAfter')
        AND (swept_until IS NULL OR swept_until < $1)
      ORDER BY swept_until NULLS FIRST LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

export async function markSwept(db: Queryable, workspaceId: string, id: string, until: Date): Promise<void> {
  await db.query('UPDATE segments SET swept_until = $3 WHERE workspace_id = $1 AND id = $2', [workspaceId, id, until]);
}

/** Starts (or stops, with null) keeping a segment's members; the caller fills them. */
export async function setMembersSince(db: Queryable, workspaceId: string, id: string, since: Date | null): Promise<void> {
  await db.query('UPDATE segments SET members_since = $3, swept_until = $3 WHERE workspace_id = $1 AND id = $2', [workspaceId, id, since]);
  // A watched segment's bounds are levels score answers and the scheduler watch.
  await invalidateCaches(db, `profiles:${workspaceId}`);
  if (since === null) await db.query('DELETE FROM segment_members WHERE workspace_id = $1 AND segment_id = $2', [workspaceId, id]);
}

/** Replaces a watched segment's members with `contactIds` (a snapshot: nobody is told). */
export async function replaceMembers(
  db: Queryable,
  workspaceId: string,
  segmentId: string,
  contactIds: readonly string[],
  at: Date,
): Promise<void> {
  await db.query('DELETE FROM segment_members WHERE workspace_id = $1 AND segment_id = $2', [workspaceId, segmentId]);
  if (contactIds.length === 0) return;
  await db.query(`INSERT INTO segment_members (workspace_id, segment_id, contact_id, entered_at) SELECT $1, $2, unnest($3::text[]), $4`, [
    workspaceId,
    segmentId,
    contactIds,
    at,
  ]);
}

/** Which of `contactIds` each watched segment holds now: `${segmentId}\n${contactId}` keys. */
export async function membershipsOf(
  db: Queryable,
  workspaceId: string,
  segmentIds: readonly string[],
  contactIds: readonly string[],
): Promise<Set<string>> {
  if (segmentIds.length === 0 || contactIds.length === 0) return new Set();
  const { rows } = await db.query<{ segmentId: string; contactId: string }>(
    `SELECT segment_id AS "segmentId", contact_id AS "contactId" FROM segment_members
      WHERE workspace_id = $1 AND segment_id = ANY($2::uuid[]) AND contact_id = ANY($3::text[])`,
    [workspaceId, segmentIds, contactIds],
  );
  return new Set(rows.map((row) => `${row.segmentId}\n${row.contactId}`));
}

export type MembershipChange = { segmentId: string; contactId: string; entered: boolean; at: Date };

export async function applyMembershipChanges(db: Queryable, workspaceId: string, changes: readonly MembershipChange[]): Promise<void> {
  const entered = changes.filter((change) => change.entered);
  const left = changes.filter((change) => !change.entered);
  if (entered.length > 0)
    await db.query(
      `INSERT INTO segment_members (workspace_id, segment_id, contact_id, entered_at)
       SELECT $1, t.segment_id, t.contact_id, t.at FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS t(segment_id, contact_id, at)
       ON CONFLICT DO NOTHING`,
      [
        workspaceId,
        entered.map((change) => change.segmentId),
        entered.map((change) => change.contactId),
        entered.map((change) => change.at),
      ],
    );
  if (left.length > 0)
    await db.query(
      `DELETE FROM segment_members m USING unnest($2::uuid[], $3::text[]) AS t(segment_id, contact_id)
        WHERE m.workspace_id = $1 AND m.segment_id = t.segment_id AND m.contact_id = t.contact_id`,
      [workspaceId, left.map((change) => change.segmentId), left.map((change) => change.contactId)],
    );
}

/** Contacts whose last interaction is in (from, to]: those a last-interaction window passed meanwhile (index range). */
export async function lastInteractionsBetween(
  db: Queryable,
  workspaceId: string,
  from: Date,
  to: Date,
): Promise<{ contactId: string; lastAt: Date }[]> {
  const { rows } = await db.query<{ contactId: string; lastAt: Date }>(
    `SELECT contact_id AS "contactId", last_at AS "lastAt" FROM contact_activity
      WHERE workspace_id = $1 AND last_at IS NOT NULL
        AND coalesce(last_at, '-infinity'::timestamptz) > $2 AND coalesce(last_at, '-infinity'::timestamptz) <= $3
      ORDER BY coalesce(last_at, '-infinity'::timestamptz), contact_id`,
    [workspaceId, from, to],
  );
  return rows;
}

/** How many segments the workspace has (a cap keeps every watched segment cheap to evaluate). */
export async function countSegments(db: Queryable, workspaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM segments WHERE workspace_id = $1', [workspaceId]);
  return rows[0].n;
}
