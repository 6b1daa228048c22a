import { createHash } from 'node:crypto';
import type { Queryable } from './db';

/**
 * Contacts are scored by partition: PARTITIONS buckets of contact ids (by md5, computed the same way
 * by es_partition() in SQL). A scoring worker holds some partitions under a lease; holding a
 * partition's row lock while scoring makes it the only writer of those contacts. `scored_below` is the
 * log position (a transaction id) below which everything of the partition's contacts is scored, and
 * `scored_at` the moment before which everything received is.
 */

export const PARTITIONS = 64;

export function partitionOf(contactId: string): number {
  return Number.parseInt(createHash('md5').update(contactId, 'utf8').digest('hex').slice(0, 4), 16) % PARTITIONS;
}

/** `AND es_partition(<column>) = ANY($n)`, or nothing for all partitions. */
export function partitionFilter(
  partitions: readonly number[] | null,
  column: string,
  parameter: number,
): { condition: string; values: unknown[] } {
  if (partitions === null || partitions.length >= PARTITIONS) return { condition: '', values: [] };
  return { condition: `AND es_partition(${column}) = ANY($${parameter}::smallint[])`, values: [partitions] };
}

export type PartitionState = { partition: number; owner: string | null; leaseUntil: Date | null; scoredBelow: number; scoredAt: Date };

const columns = `partition, owner, lease_until AS "leaseUntil", scored_below AS "scoredBelow", scored_at AS "scoredAt"`;

export async function partitionStates(db: Queryable): Promise<PartitionState[]> {
  const { rows } = await db.query<PartitionState>(`SELECT ${columns} FROM scoring_partitions ORDER BY partition`);
  return rows;
}

/**
 * Renews this owner's leases and claims free or expired partitions up to `share` (a fair share: the
 * partitions divided among the live workers); returns the partitions it holds now. Partitions being
 * scored (row-locked) are skipped, never waited for.
 */
export async function claimPartitions(db: Queryable, owner: string, now: Date, leaseMs: number, share: number): Promise<number[]> {
  const { rows } = await db.query<{ partition: number }>(
    `WITH wanted AS (
       SELECT partition FROM scoring_partitions
        WHERE owner = $1 OR owner IS NULL OR lease_until IS NULL OR lease_until < $2
        ORDER BY owner = $1 DESC, partition
        LIMIT $4
        FOR UPDATE SKIP LOCKED
     )
     UPDATE scoring_partitions p SET owner = $1, lease_until = $2::timestamptz + make_interval(secs => $3 / 1000.0)
       FROM wanted WHERE p.partition = wanted.partition
     RETURNING p.partition`,
    [owner, now, leaseMs, share],
  );
  return rows.map((row) => row.partition).sort((x, y) => x - y);
}

/** Gives up the partitions this owner holds beyond `except` (a surplus, or all when stopping), so another worker can take them at once. */
export async function releasePartitions(db: Queryable, owner: string, keep: { except: readonly number[] }): Promise<void> {
  await db.query(
    `UPDATE scoring_partitions SET owner = NULL, lease_until = NULL WHERE owner = $1 AND NOT (partition = ANY($2::smallint[]))`,
    [owner, keep.except],
  );
}

/** How many partitions a fair share is right now: divided among the workers whose heartbeat is younger than a lease (store/scoring-ops.ts). */
export async function fairShare(db: Queryable, owner: string, now: Date, leaseMs: number): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*) FILTER (WHERE worker_id <> $1 AND seen_at > $2::timestamptz - make_interval(secs => $3 / 1000.0))::int + 1 AS n FROM scoring_workers`,
    [owner, now, leaseMs],
  );
  return Math.ceil(PARTITIONS / rows[0].n);
}

/**
 * Locks the partitions this owner still holds (for the rest of the transaction; in partition order,
 * as every locker does) and returns their positions. Partitions another owner has taken meanwhile are
 * left out: the caller scores only what it returns.
 */
export async function lockOwnPartitions(db: Queryable, owner: string, partitions: readonly number[]): Promise<PartitionState[]> {
  const { rows } = await db.query<PartitionState>(
    `SELECT ${columns} FROM scoring_partitions WHERE owner = $1 AND partition = ANY($2::smallint[]) ORDER BY partition FOR UPDATE`,
    [owner, partitions],
  );
  return rows;
}

/**
 * Locks partitions whoever holds them, so that no scoring pass writes their contacts meanwhile: `share`
 * for work on disjoint contacts that may run side by side (a publish's batches, a reschedule), `update`
 * for the rest (a read bringing anchors up to date, an erasure).
 */
export async function lockPartitions(
  db: Queryable,
  partitions: readonly number[] | null,
  mode: 'share' | 'update' = 'update',
): Promise<PartitionState[]> {
  const { rows } = await db.query<PartitionState>(
    `SELECT ${columns} FROM scoring_partitions ${partitions === null ? '' : 'WHERE partition = ANY($1::smallint[])'}
      ORDER BY partition ${mode === 'share' ? 'FOR SHARE' : 'FOR UPDATE'}`,
    partitions === null ? [] : [partitions],
  );
  return rows;
}

/**
 * Records that the partitions are scored below `position`, and renews their lease. `caughtUpAt`: the
 * log was scored up to the snapshot taken at that moment, so everything received before it is scored
 * (time steps and reads move anchors no further than that).
 */
export async function advancePartitions(
  db: Queryable,
  owner: string,
  partitions: readonly number[],
  position: number,
  caughtUpAt: Date | null,
  now: Date,
  leaseMs: number,
): Promise<void> {
  await db.query(
    `UPDATE scoring_partitions SET scored_below = greatest(scored_below, $3), scored_at = greatest(scored_at, coalesce($4, scored_at)),
            lease_until = $5::timestamptz + make_interval(secs => $6 / 1000.0)
      WHERE owner = $1 AND partition = ANY($2::smallint[])`,
    [owner, partitions, position, caughtUpAt, now, leaseMs],
  );
}

/** The lowest position scored, over some partitions (all when null). */
export async function scoredBelow(db: Queryable, partitions: readonly number[] | null): Promise<number> {
  const { rows } = await db.query<{ position: number }>(
    `SELECT min(scored_below) AS position FROM scoring_partitions ${partitions === null ? '' : 'WHERE partition = ANY($1::smallint[])'}`,
    partitions === null ? [] : [partitions],
  );
  return rows[0].position;
}
