import type { Anchor, SortKey } from '../model/anchor';
import { prepared, type Queryable } from './db';

type AnchorRow = { contactId: string; s: number; a: number; tau: number; staleAt: number | null };

const anchorColumns = `s.contact_id AS "contactId", s.state_points AS s, s.amplitude AS a,
  (extract(epoch FROM s.anchor_at) * 1000)::float8 AS tau, (extract(epoch FROM s.stale_at) * 1000)::float8 AS "staleAt"`;

/** Anchors of some contacts under one version; `lock` holds them for the rest of the transaction (in id order). */
export async function loadAnchors(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  contactIds: readonly string[],
  lock: boolean,
): Promise<Map<string, Anchor>> {
  const anchors = new Map<string, Anchor>();
  if (contactIds.length === 0) return anchors;
  const { rows } = await db.query<AnchorRow>(
    `SELECT ${anchorColumns} FROM scores s
      WHERE s.workspace_id = $1 AND s.version_id = $2 AND s.contact_id = ANY($3::text[])
      ORDER BY s.contact_id ${lock ? 'FOR UPDATE' : ''}`,
    [workspaceId, versionId, contactIds],
  );
  for (const row of rows) anchors.set(row.contactId, { s: row.s, a: row.a, tau: row.tau, staleAt: row.staleAt });
  return anchors;
}

export type AnchorWrite = { contactId: string; anchor: Anchor; key: SortKey; dueAt: number | null };

export async function writeAnchors(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  writes: readonly AnchorWrite[],
  now: Date,
): Promise<void> {
  if (writes.length === 0) return;
  await db.query(
    `INSERT INTO scores AS s (workspace_id, version_id, contact_id, state_points, amplitude, anchor_at, sign, sort_key, stale_at, due_at, updated_at)
     SELECT $1, $2, t.contact_id, t.s, t.a, t.tau, t.sign, t.key, t.stale_at, t.due_at, $10
       FROM unnest($3::text[], $4::float8[], $5::float8[], $6::timestamptz[], $7::smallint[], $8::float8[], $9::timestamptz[], $11::timestamptz[])
         AS t(contact_id, s, a, tau, sign, key, stale_at, due_at)
     ON CONFLICT (workspace_id, version_id, contact_id) DO UPDATE SET
       state_points = EXCLUDED.state_points, amplitude = EXCLUDED.amplitude, anchor_at = EXCLUDED.anchor_at,
       sign = EXCLUDED.sign, sort_key = EXCLUDED.sort_key, stale_at = EXCLUDED.stale_at, due_at = EXCLUDED.due_at, updated_at = EXCLUDED.updated_at`,
    [
      workspaceId,
      versionId,
      writes.map((write) => write.contactId),
      writes.map((write) => write.anchor.s),
      writes.map((write) => write.anchor.a),
      writes.map((write) => new Date(write.anchor.tau).toISOString()),
      writes.map((write) => write.key.sign),
      writes.map((write) => write.key.key),
      writes.map((write) => (write.anchor.staleAt === null ? null : new Date(write.anchor.staleAt).toISOString())),
      now,
      writes.map((write) => (write.dueAt === null ? null : new Date(write.dueAt).toISOString())),
    ],
  );
}

/** Contacts of a version whose anchor went stale by `now` (an expiry or a future-dated entry is due). */
export async function staleContacts(db: Queryable, workspaceId: string, versionId: number, now: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ contactId: string }>(
    // due_at ≤ stale_at always, so the (small) set of due rows holds every stale one.
    prepared(
      `SELECT contact_id AS "contactId" FROM scores WHERE due_at <= $3 AND stale_at <= $3 AND workspace_id = $1 AND version_id = $2 ORDER BY contact_id LIMIT $4`,
      [workspaceId, versionId, now, limit],
    ),
  );
  return rows.map((row) => row.contactId);
}

export async function deleteScoresOfContacts(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  contactIds: readonly string[],
): Promise<void> {
  await db.query('DELETE FROM scores WHERE workspace_id = $1 AND version_id = $2 AND contact_id = ANY($3::text[])', [
    workspaceId,
    versionId,
    contactIds,
  ]);
}

/**
 * Claims score rows the crossing scheduler must look at now (any workspace), in due order, skipping
 * rows another instance holds. Rows of versions no longer active are left to the purge.
 */
export async function claimDueScores(
  db: Queryable,
  now: Date,
  limit: number,
): Promise<{ workspaceId: string; versionId: number; contactId: string }[]> {
  const { rows } = await db.query<{ workspaceId: string; versionId: number; contactId: string }>(
    `SELECT s.workspace_id AS "workspaceId", s.version_id AS "versionId", s.contact_id AS "contactId"
       FROM scores s
      WHERE s.due_at <= $1
        AND EXISTS (SELECT 1 FROM profile_versions v WHERE v.workspace_id = s.workspace_id AND v.id = s.version_id AND v.state IN ('live', 'publishing'))
      ORDER BY s.due_at
      LIMIT $2
      FOR UPDATE OF s SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

/** Anchors of a version from a contact id on (for rescheduling after the watched levels changed), locked. */
export async function lockAnchorPage(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  after: string | null,
  limit: number,
): Promise<Map<string, Anchor>> {
  const { rows } = await db.query<AnchorRow>(
    `SELECT ${anchorColumns} FROM scores s
      WHERE s.workspace_id = $1 AND s.version_id = $2 AND ($3::text IS NULL OR s.contact_id > $3)
      ORDER BY s.contact_id LIMIT $4 FOR UPDATE`,
    [workspaceId, versionId, after, limit],
  );
  return new Map(rows.map((row) => [row.contactId, { s: row.s, a: row.a, tau: row.tau, staleAt: row.staleAt }]));
}

export async function writeDueTimes(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  due: readonly { contactId: string; dueAt: number | null }[],
): Promise<void> {
  if (due.length === 0) return;
  await db.query(
    `UPDATE scores s SET due_at = t.due_at FROM unnest($3::text[], $4::timestamptz[]) AS t(contact_id, due_at)
      WHERE s.workspace_id = $1 AND s.version_id = $2 AND s.contact_id = t.contact_id`,
    [
      workspaceId,
      versionId,
      due.map((row) => row.contactId),
      due.map((row) => (row.dueAt === null ? null : new Date(row.dueAt).toISOString())),
    ],
  );
}
