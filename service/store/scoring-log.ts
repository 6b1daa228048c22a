import type pg from 'pg';
import type { InteractionRecord } from '../model/interaction';
import { copyField, copyLines } from './copy';
import type { Queryable } from './db';
import type { NewInteraction } from './interactions';
import { Channel, notify } from './notifications';

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
  // Lines built straight from the rows: the accept path's hottest loop.
  await copyLines(
    client,
    'incoming_interactions (id, contact_id, type, occurred_at, actor_id, channel, direction, properties)',
    rows.length,
    (index) => {
      const row = rows[index];
      const properties = row.properties === null ? '\\N' : copyField(JSON.stringify(row.properties));
      return `${copyField(row.id)}\t${copyField(row.contactId)}\t${copyField(row.type)}\t${row.occurredAt.toISOString()}\t${copyField(row.actorId)}\t${copyField(row.channel)}\t${copyField(row.direction)}\t${properties}`;
    },
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
      // In id order: concurrent batches creating the same contacts then wait for each other instead of deadlocking.
      `WITH created AS (
         INSERT INTO contacts (workspace_id, id, created_at, updated_at)
         SELECT $1::uuid, contact_id, $2::timestamptz, $2::timestamptz FROM (SELECT DISTINCT contact_id FROM incoming_interactions) n ORDER BY contact_id
         ON CONFLICT (workspace_id, id) DO NOTHING RETURNING id)
       INSERT INTO contact_activity (workspace_id, contact_id) SELECT $1, id FROM created ORDER BY id ON CONFLICT DO NOTHING`,
      [workspaceId, now],
    );
    await noteLogTransaction(client, accepted, now);
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
  await noteLogTransaction(db, rows.length, now);
  await notify(db, Channel.log);
  return rows[0].txid + 1;
}

/** One row per transaction that wrote to the log, with how much (what windows are sized from). */
async function noteLogTransaction(db: Queryable, events: number, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO log_transactions (txid, events, received_at) VALUES (pg_current_xact_id()::text::bigint, $1, $2)
     ON CONFLICT (txid) DO UPDATE SET events = log_transactions.events + EXCLUDED.events`,
    [events, now],
  );
}

/** Forgets the transactions every partition has scored past. */
export async function forgetScoredTransactions(db: Queryable): Promise<void> {
  await db.query('DELETE FROM log_transactions WHERE txid < (SELECT min(scored_below) FROM scoring_partitions)');
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
 * The end of the next window of the log from `from` (a transaction id): about `maxRows` events (of
 * every partition), ending at a transaction boundary, never beyond `below`. Sized from
 * log_transactions, one row per transaction, so nothing of the log itself is read.
 */
export async function windowEnd(db: Queryable, from: number, below: number, maxRows: number): Promise<number> {
  const { rows } = await db.query<{ txid: number | null }>(
    `SELECT min(txid) AS txid FROM (
       SELECT txid, sum(events) OVER (ORDER BY txid) AS running FROM log_transactions WHERE txid >= $1 AND txid < $2
     ) w WHERE running >= $3`,
    [from, below, maxRows],
  );
  // The transaction that reaches maxRows is scored whole.
  return rows[0].txid === null ? below : Math.min(rows[0].txid + 1, below);
}

/** Every event of the window [from, to) of some partitions, in log order (an index range per partition). */
export async function readLog(db: Queryable, partitions: readonly number[], from: number, to: number): Promise<LogEvent[]> {
  const [interactions, events] = await Promise.all([
    db.query<Extract<LogEvent, { source: 'interaction' }>>(
      `SELECT 'interaction' AS source, workspace_id AS "workspaceId", txid, seq, id, contact_id AS "contactId", type,
              (extract(epoch FROM occurred_at) * 1000)::float8 AS "occurredAt", (extract(epoch FROM received_at) * 1000)::float8 AS "receivedAt",
              actor_id AS "actorId", channel, direction, properties
         FROM interactions WHERE partition = ANY($3::smallint[]) AND txid >= $1 AND txid < $2`,
      [from, to, partitions],
    ),
    db.query<Extract<LogEvent, { source: 'event' }>>(
      `SELECT 'event' AS source, workspace_id AS "workspaceId", txid, seq, kind, contact_id AS "contactId",
              (extract(epoch FROM received_at) * 1000)::float8 AS "receivedAt", payload
         FROM score_events WHERE partition = ANY($3::smallint[]) AND txid >= $1 AND txid < $2`,
      [from, to, partitions],
    ),
  ]);
  // One transaction writes either interactions or events: ordering by transaction merges them.
  return [...interactions.rows, ...events.rows].sort(
    (x, y) => x.txid - y.txid || (x.source === y.source ? x.seq - y.seq : x.source === 'event' ? 1 : -1),
  );
}

/** How much of the log is not scored yet: interactions, and when the oldest transaction holding some was received. */
export async function backlog(db: Queryable): Promise<{ rows: number; oldestAt: Date | null }> {
  const { rows } = await db.query<{ rows: number; oldest: Date | null }>(
    `SELECT (SELECT coalesce(sum(n), 0)::int FROM scoring_partitions p
               CROSS JOIN LATERAL (SELECT count(*) AS n FROM interactions i WHERE i.partition = p.partition AND i.txid >= p.scored_below) c) AS rows,
            (SELECT min(received_at) FROM log_transactions l
              WHERE EXISTS (SELECT 1 FROM scoring_partitions p WHERE l.txid >= p.scored_below)) AS oldest`,
  );
  return { rows: rows[0].rows, oldestAt: rows[0].rows > 0 ? rows[0].oldest : null };
}
