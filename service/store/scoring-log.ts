import type pg from 'pg';
import type { InteractionRecord } from '../model/interaction';
import { copyRows } from './copy';
import type { Queryable } from './db';
import type { NewInteraction } from './interactions';
import { Channel, notify } from './notifications';
import { partitionFilter } from './scoring-partitions';

/**
 * The log the scoring workers drain: interactions (the interactions table itself) and score events
 * (contact changes, adjustments), each row stamped with the transaction that stored it. Everything
 * below a snapshot's xmin has committed, so a worker that reads the log up to xmin never skips a row
 * that commits later; a client's token is such a position: "scored" once every partition it concerns
 * has been scored below it.
 */

/** Rows kept per connection for the accept path; emptied at every commit. */
const STAGING = `CREATE TEMP TABLE IF NOT EXISTS incoming_interactions (
  id text, contact_id text, type text, occurred_at timestamptz, actor_id text, channel text, direction text, properties jsonb
) ON COMMIT DELETE ROWS`;

export type Appended = { accepted: number; duplicates: number; token: number };

/**
 * Appends a batch of interactions durably and idempotently (by workspace and id), in the caller's
 * transaction: COPY into a staging table, then one insert that skips ids already stored. Contacts
 * not seen before are created. The token covers this batch, and for ids stored before, the
 * transactions that stored them.
 */
export async function appendInteractions(
  client: pg.PoolClient,
  workspaceId: string,
  rows: readonly NewInteraction[],
  now: Date,
): Promise<Appended> {
  await client.query(STAGING);
  await copyRows(
    client,
    'incoming_interactions (id, contact_id, type, occurred_at, actor_id, channel, direction, properties)',
    rows.map((row) => [
      row.id,
      row.contactId,
      row.type,
      row.occurredAt.toISOString(),
      row.actorId,
      row.channel,
      row.direction,
      row.properties === null ? null : JSON.stringify(row.properties),
    ]),
  );
  const inserted = await client.query(
    `INSERT INTO interactions (workspace_id, id, contact_id, type, occurred_at, actor_id, channel, direction, properties, received_at)
     SELECT $1, id, contact_id, type, occurred_at, actor_id, channel, direction, properties, $2 FROM incoming_interactions
     ON CONFLICT (workspace_id, id) DO NOTHING`,
    [workspaceId, now],
  );
  const accepted = inserted.rowCount ?? 0;
  if (accepted > 0) {
    await client.query(
      `WITH created AS (
         INSERT INTO contacts (workspace_id, id, created_at, updated_at)
         SELECT DISTINCT $1::uuid, contact_id, $2::timestamptz, $2::timestamptz FROM incoming_interactions
         ON CONFLICT (workspace_id, id) DO NOTHING RETURNING id)
       INSERT INTO contact_activity (workspace_id, contact_id) SELECT $1, id FROM created ON CONFLICT DO NOTHING`,
      [workspaceId, now],
    );
    await notify(client, Channel.log);
  }
  // Repeated ids: the token must also cover whoever stored them (perhaps a batch committed a moment ago).
  const { rows: token } =
    accepted === rows.length
      ? await client.query<{ txid: number }>('SELECT pg_current_xact_id()::text::bigint AS txid')
      : await client.query<{ txid: number }>(
          `SELECT greatest(coalesce(max(i.txid), 0), CASE WHEN $2 THEN pg_current_xact_id()::text::bigint ELSE 0 END) AS txid
             FROM incoming_interactions s JOIN interactions i ON i.workspace_id = $1 AND i.id = s.id`,
          [workspaceId, accepted > 0],
        );
  return { accepted, duplicates: rows.length - accepted, token: token[0].txid + 1 };
}

export type ScoreEventKind = 'contact' | 'adjustment';
export type NewScoreEvent = { kind: ScoreEventKind; contactId: string; payload?: Record<string, unknown> };

/** Appends contact changes or adjustments to the log (caller's transaction); returns the token covering them. */
export async function appendScoreEvents(db: Queryable, workspaceId: string, events: readonly NewScoreEvent[], now: Date): Promise<number> {
  const { rows } = await db.query<{ txid: number }>(
    `INSERT INTO score_events (workspace_id, kind, contact_id, received_at, payload)
     SELECT $1, e.kind, e.contact_id, $2, e.payload FROM unnest($3::text[], $4::text[], $5::jsonb[]) AS e(kind, contact_id, payload)
     RETURNING txid`,
    [
      workspaceId,
      now,
      events.map((event) => event.kind),
      events.map((event) => event.contactId),
      events.map((event) => JSON.stringify(event.payload ?? {})),
    ],
  );
  if (rows.length === 0) return 0;
  await notify(db, Channel.log);
  return rows[0].txid + 1;
}

/** The log position after everything committed so far: a snapshot's xmax (what a drain must reach). */
export async function logEnd(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ xmax: number }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax');
  return rows[0].xmax;
}

/** The log position everything before which has committed (or aborted): a snapshot's xmin. */
export async function committedBelow(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ xmin: number }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin');
  return rows[0].xmin;
}

/** An event of the log as the scorer reads it. */
export type LogEvent =
  | ({ source: 'interaction'; workspaceId: string; txid: number; receivedAt: number } & InteractionRecord)
  | {
      source: 'event';
      workspaceId: string;
      txid: number;
      seq: number;
      kind: ScoreEventKind;
      contactId: string;
      receivedAt: number;
      payload: Record<string, unknown>;
    };

/**
 * The end of the next window of the log from `from` (a transaction id), for some partitions: about
 * `maxRows` interactions, ending at a transaction boundary, never beyond `below`.
 */
export async function windowEnd(
  db: Queryable,
  partitions: readonly number[] | null,
  from: number,
  below: number,
  maxRows: number,
): Promise<number> {
  const { values, condition } = partitionFilter(partitions, 'contact_id', 4);
  const { rows } = await db.query<{ txid: number }>(
    `SELECT txid FROM interactions WHERE txid >= $1 AND txid < $2 ${condition} ORDER BY txid, seq OFFSET $3 LIMIT 1`,
    [from, below, maxRows, ...values],
  );
  const end = rows[0]?.txid ?? below;
  // One transaction larger than the window is scored whole.
  return end > from ? end : Math.min(from + 1, below);
}

/** Every event of the window [from, to) for some partitions, in log order. */
export async function readLog(db: Queryable, partitions: readonly number[] | null, from: number, to: number): Promise<LogEvent[]> {
  const filter = partitionFilter(partitions, 'contact_id', 3);
  const [interactions, events] = await Promise.all([
    db.query<Extract<LogEvent, { source: 'interaction' }>>(
      `SELECT 'interaction' AS source, workspace_id AS "workspaceId", txid, seq, id, contact_id AS "contactId", type,
              (extract(epoch FROM occurred_at) * 1000)::float8 AS "occurredAt", (extract(epoch FROM received_at) * 1000)::float8 AS "receivedAt",
              actor_id AS "actorId", channel, direction, properties
         FROM interactions WHERE txid >= $1 AND txid < $2 ${filter.condition} ORDER BY txid, seq`,
      [from, to, ...filter.values],
    ),
    db.query<Extract<LogEvent, { source: 'event' }>>(
      `SELECT 'event' AS source, workspace_id AS "workspaceId", txid, seq, kind, contact_id AS "contactId",
              (extract(epoch FROM received_at) * 1000)::float8 AS "receivedAt", payload
         FROM score_events WHERE txid >= $1 AND txid < $2 ${filter.condition} ORDER BY txid, seq`,
      [from, to, ...filter.values],
    ),
  ]);
  // One transaction writes either interactions or events: ordering by transaction merges them.
  return [...interactions.rows, ...events.rows].sort(
    (x, y) => x.txid - y.txid || (x.source === y.source ? x.seq - y.seq : x.source === 'event' ? 1 : -1),
  );
}

/** How much of the log is not scored yet: rows and the age of the oldest (for metrics and the ops page). */
export async function backlog(db: Queryable): Promise<{ rows: number; oldestAt: Date | null }> {
  const { rows } = await db.query<{ rows: number; oldest: Date | null }>(
    `SELECT count(*)::int AS rows, min(i.received_at) AS oldest
       FROM interactions i JOIN scoring_partitions p ON p.partition = es_partition(i.contact_id)
      WHERE i.txid >= (SELECT min(scored_below) FROM scoring_partitions) AND i.txid >= p.scored_below`,
  );
  return { rows: rows[0].rows, oldestAt: rows[0].oldest };
}
