import type { Queryable } from './db';

/** What people and /metrics see of the scoring: the workers' heartbeats and what holds the log back. */

export type WorkerHeartbeat = {
  workerId: string;
  startedAt: Date;
  partitions: number;
  scoredTotal: number;
  perSecond: number;
  lastPassMs: number | null;
};

export async function recordHeartbeat(db: Queryable, beat: WorkerHeartbeat, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO scoring_workers (worker_id, started_at, seen_at, partitions, scored_total, per_second, last_pass_ms)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (worker_id) DO UPDATE SET seen_at = EXCLUDED.seen_at, partitions = EXCLUDED.partitions,
       scored_total = EXCLUDED.scored_total, per_second = EXCLUDED.per_second, last_pass_ms = EXCLUDED.last_pass_ms`,
    [beat.workerId, beat.startedAt, now, beat.partitions, beat.scoredTotal, beat.perSecond, beat.lastPassMs],
  );
}

/** A worker that stops says goodbye; one that died is forgotten once its heartbeat is an hour old. */
export async function forgetWorker(db: Queryable, workerId: string, now: Date): Promise<void> {
  await db.query(`DELETE FROM scoring_workers WHERE worker_id = $1 OR seen_at < $2::timestamptz - interval '1 hour'`, [workerId, now]);
}

export type WorkerRow = WorkerHeartbeat & { seenAt: Date };

export async function scoringWorkers(db: Queryable): Promise<WorkerRow[]> {
  const { rows } = await db.query<WorkerRow>(
    `SELECT worker_id AS "workerId", started_at AS "startedAt", seen_at AS "seenAt", partitions, scored_total::float8 AS "scoredTotal",
            per_second AS "perSecond", last_pass_ms AS "lastPassMs"
       FROM scoring_workers ORDER BY worker_id`,
  );
  return rows;
}

export type LogBlocker = {
  pid: number;
  database: string | null;
  application: string | null;
  state: string | null;
  transactionStartedAt: Date | null;
};

/**
 * The transaction that holds the log back, if one has been open for more than a second: log positions
 * are transaction ids, and a worker scores only below the oldest one still running (on the whole server).
 */
export async function logBlocker(db: Queryable): Promise<LogBlocker | null> {
  const { rows } = await db.query<LogBlocker>(
    `SELECT pid, datname AS database, application_name AS application, state, xact_start AS "transactionStartedAt"
       FROM pg_stat_activity
      WHERE backend_xid = pg_snapshot_xmin(pg_current_snapshot())::xid
        AND xact_start < now() - interval '1 second'
      LIMIT 1`,
  );
  return rows[0] ?? null;
}
