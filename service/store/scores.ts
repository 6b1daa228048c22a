import os from 'node:os';
import type pg from 'pg';
import type { Anchor, QualifiedAnchor, SortKey, StoredScore } from '../model/anchor';
import type { Entry, EntryKind, LedgerEntry } from '../model/ledger';
import { copyRows } from './copy';
import { prepared, type Queryable } from './db';
import { partitionFilter } from './scoring-partitions';

/**
 * Anchors: every contact's score under every active version (store/score-list.ts reads them in score
 * order). Written by the scoring workers, the publish job and the scheduler's time steps, each holding
 * the contacts' partitions (store/scoring-partitions.ts).
 */

type AnchorRow = { contactId: string; s: number; a: number; tau: number; staleAt: number | null; qualified: boolean };

const anchorColumns = `s.contact_id AS "contactId", s.state_points AS s, s.amplitude AS a,
  (extract(epoch FROM s.anchor_at) * 1000)::float8 AS tau, (extract(epoch FROM s.stale_at) * 1000)::float8 AS "staleAt", s.qualified`;

const anchorOf = (row: AnchorRow): Anchor => ({ s: row.s, a: row.a, tau: row.tau, staleAt: row.staleAt });
const qualifiedAnchorOf = (row: AnchorRow): QualifiedAnchor => ({ ...anchorOf(row), qualified: row.qualified });

/**
 * The entries an anchor keeps, packed as little-endian doubles, four per entry: at, points, the
 * interaction's seq (−1 for an adjustment), and (rule + 1) · 8 + kind · 2 + counted. Reading them is
 * a copy, not a parse, which is what lets a heavy contact's score be read in a few milliseconds.
 */
const FIELDS = 4;
if (os.endianness() !== 'LE') throw new Error('packed score entries are little-endian; this platform is not');

export function packEntries(entries: readonly (Entry & { interactionSeq: number | null })[]): Buffer {
  const values = new Float64Array(entries.length * FIELDS);
  for (let index = 0, offset = 0; index < entries.length; index++, offset += FIELDS) {
    const entry = entries[index];
    values[offset] = entry.at;
    values[offset + 1] = entry.points;
    values[offset + 2] = entry.interactionSeq ?? -1;
    values[offset + 3] = (entry.rule + 1) * 8 + entry.kind * 2 + (entry.counted ? 1 : 0);
  }
  // Float64Array is in the platform's byte order; every platform Node supports here is little-endian.
  return Buffer.from(values.buffer);
}

export function unpackEntries(buffer: Buffer, contactId: string): LedgerEntry[] {
  // One copy into an aligned array, then plain reads (a heavy contact keeps thousands of entries).
  const values = new Float64Array(Math.floor(buffer.length / 8));
  new Uint8Array(values.buffer).set(buffer.subarray(0, values.length * 8));
  const entries: LedgerEntry[] = new Array<LedgerEntry>(Math.floor(values.length / FIELDS));
  for (let index = 0, offset = 0; index < entries.length; index++, offset += FIELDS) {
    const seq = values[offset + 2];
    const code = values[offset + 3];
    entries[index] = {
      contactId,
      at: values[offset],
      points: values[offset + 1],
      interactionSeq: seq < 0 ? null : seq,
      rule: Math.floor(code / 8) - 1,
      kind: ((code % 8) >> 1) as EntryKind,
      counted: code % 2 === 1,
      actorId: null,
      adjustmentId: null,
    };
  }
  return entries;
}

/** Anchors of some contacts under one version, with whether each contact has a score (minInteractions). */
export async function loadAnchors(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  contactIds: readonly string[],
): Promise<Map<string, QualifiedAnchor>> {
  const anchors = new Map<string, QualifiedAnchor>();
  if (contactIds.length === 0) return anchors;
  const { rows } = await db.query<AnchorRow>(
    `SELECT ${anchorColumns} FROM scores s WHERE s.workspace_id = $1 AND s.version_id = $2 AND s.contact_id = ANY($3::text[])`,
    [workspaceId, versionId, contactIds],
  );
  for (const row of rows) anchors.set(row.contactId, qualifiedAnchorOf(row));
  return anchors;
}

/** Anchors of some contacts under one version, with the entries they keep (what the scoring continues from). */
export async function loadScores(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  contactIds: readonly string[],
): Promise<Map<string, StoredScore>> {
  const scores = new Map<string, StoredScore>();
  if (contactIds.length === 0) return scores;
  const { rows } = await db.query<AnchorRow & { recent: Buffer | null; changedAt: number | null; evidence: number | null }>(
    `SELECT ${anchorColumns}, s.recent, (extract(epoch FROM s.changed_at) * 1000)::float8 AS "changedAt", s.evidence FROM scores s WHERE s.workspace_id = $1 AND s.version_id = $2 AND s.contact_id = ANY($3::text[])`,
    [workspaceId, versionId, contactIds],
  );
  for (const row of rows)
    scores.set(row.contactId, {
      anchor: anchorOf(row),
      recent: row.recent && unpackEntries(row.recent, row.contactId),
      changedAt: row.changedAt,
      qualified: row.qualified,
      evidence: row.evidence,
    });
  return scores;
}

/**
 * Which of some contacts have a score under a version (StoredScore.qualified; a profile's
 * minInteractions): true or false per contact with an anchor. Exact for callers that refreshed stale
 * anchors first.
 */
export async function qualifiedOf(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  contactIds: readonly string[],
): Promise<Map<string, boolean>> {
  if (contactIds.length === 0) return new Map();
  const { rows } = await db.query<{ contactId: string; qualified: boolean }>(
    `SELECT contact_id AS "contactId", qualified FROM scores WHERE workspace_id = $1 AND version_id = $2 AND contact_id = ANY($3::text[])`,
    [workspaceId, versionId, contactIds],
  );
  return new Map(rows.map((row) => [row.contactId, row.qualified]));
}

export type AnchorWrite = {
  contactId: string;
  anchor: Anchor;
  recent: readonly LedgerEntry[];
  key: SortKey;
  dueAt: number | null;
  changedAt: number | null;
  /** Whether the contact has a score (minInteractions), and its count of matching interactions at τ (null: not counted). */
  qualified: boolean;
  evidence: number | null;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

// Times travel as epoch milliseconds (cheaper to write than ISO strings) and become timestamps in SQL.
const STAGING = `CREATE TEMP TABLE IF NOT EXISTS incoming_anchors (
  contact_id text, s float8, a float8, tau float8, sign smallint, key float8, stale_at float8, due_at float8, recent bytea, changed_at float8,
  qualified boolean, evidence integer
) ON COMMIT DELETE ROWS`;
const timestamp = (column: string) => `to_timestamp(t.${column} / 1000.0)`;

/** Writes anchors (new or replacing), in the caller's transaction: COPY into a staging table, one upsert from it. */
export async function writeAnchors(
  client: pg.PoolClient,
  workspaceId: string,
  versionId: number,
  writes: readonly AnchorWrite[],
  now: Date,
): Promise<void> {
  if (writes.length === 0) return;
  await client.query(STAGING);
  await copyRows(
    client,
    'incoming_anchors',
    writes.map(({ contactId, anchor, recent, key, dueAt, changedAt, qualified, evidence }) => [
      contactId,
      anchor.s,
      anchor.a,
      anchor.tau,
      key.sign,
      key.key,
      anchor.staleAt,
      dueAt,
      `\\x${packEntries(recent).toString('hex')}`,
      changedAt,
      qualified,
      evidence,
    ]),
  );
  await client.query(
    `INSERT INTO scores AS s (workspace_id, version_id, contact_id, state_points, amplitude, anchor_at, sign, sort_key, stale_at, due_at, recent, changed_at, qualified, evidence, updated_at)
     SELECT $1, $2, t.contact_id, t.s, t.a, ${timestamp('tau')}, t.sign, t.key, ${timestamp('stale_at')}, ${timestamp('due_at')}, t.recent, ${timestamp('changed_at')}, t.qualified, t.evidence, $3
       FROM incoming_anchors t
     ON CONFLICT (workspace_id, version_id, contact_id) DO UPDATE SET
       state_points = EXCLUDED.state_points, amplitude = EXCLUDED.amplitude, anchor_at = EXCLUDED.anchor_at, sign = EXCLUDED.sign,
       sort_key = EXCLUDED.sort_key, stale_at = EXCLUDED.stale_at, due_at = EXCLUDED.due_at, recent = EXCLUDED.recent, changed_at = EXCLUDED.changed_at,
       qualified = EXCLUDED.qualified, evidence = EXCLUDED.evidence, updated_at = EXCLUDED.updated_at`,
    [workspaceId, versionId, now],
  );
  await client.query('TRUNCATE incoming_anchors');
}

/** Contacts of a version whose anchor went stale by `now` (an expiry or a future-dated entry is due), in id order after `after`. */
export async function staleContacts(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  now: Date,
  after: string | null,
  limit: number,
): Promise<string[]> {
  // Reads that order by score ask this every time, and usually nothing is due anywhere: one probe of
  // the end of the due index answers that (a parameterless min() always plans as that probe).
  if (after === null) {
    const { rows } = await db.query<{ earliest: Date | null }>(prepared('SELECT min(due_at) AS earliest FROM scores', []));
    if (rows[0].earliest === null || rows[0].earliest > now) return [];
  }
  const { rows } = await db.query<{ contactId: string }>(
    // due_at ≤ stale_at always, so the (small) set of due rows holds every stale one; the fence keeps
    // the planner from walking the version's whole primary key in contact order instead.
    prepared(
      `WITH due AS MATERIALIZED (
         SELECT contact_id, workspace_id, version_id, stale_at FROM scores WHERE due_at <= $3
       )
       SELECT contact_id AS "contactId" FROM due
        WHERE stale_at <= $3 AND workspace_id = $1 AND version_id = $2 AND ($5::text IS NULL OR contact_id > $5)
        ORDER BY contact_id LIMIT $4`,
      [workspaceId, versionId, now, limit, after],
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
 * Score rows of some partitions that are due now (any workspace; only versions still active), in due
 * order: the time steps of the scoring workers (an expiry, or decay reaching a watched level).
 */
export async function dueScores(
  db: Queryable,
  partitions: readonly number[] | null,
  now: Date,
  limit: number,
): Promise<{ workspaceId: string; versionId: number; contactId: string }[]> {
  const filter = partitionFilter(partitions, 's.contact_id', 3);
  const { rows } = await db.query<{ workspaceId: string; versionId: number; contactId: string }>(
    `SELECT s.workspace_id AS "workspaceId", s.version_id AS "versionId", s.contact_id AS "contactId"
       FROM scores s
      WHERE s.due_at <= $1 ${filter.condition}
        AND EXISTS (SELECT 1 FROM profile_versions v WHERE v.workspace_id = s.workspace_id AND v.id = s.version_id AND v.state IN ('live', 'publishing'))
      ORDER BY s.due_at
      LIMIT $2`,
    [now, limit, ...filter.values],
  );
  return rows;
}

/** A page of a version's anchors from a contact id on (rescheduling after the watched levels changed), with whether each contact has a score. */
export async function anchorPage(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  after: string | null,
  limit: number,
): Promise<Map<string, QualifiedAnchor>> {
  const { rows } = await db.query<AnchorRow>(
    `SELECT ${anchorColumns} FROM scores s
      WHERE s.workspace_id = $1 AND s.version_id = $2 AND ($3::text IS NULL OR s.contact_id > $3)
      ORDER BY s.contact_id LIMIT $4`,
    [workspaceId, versionId, after, limit],
  );
  return new Map(rows.map((row) => [row.contactId, qualifiedAnchorOf(row)]));
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
    [workspaceId, versionId, due.map((row) => row.contactId), due.map((row) => iso(row.dueAt))],
  );
}
