import type { Queryable } from './db';
import { Channel, notify } from './notifications';

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed';

export type Job = {
  workspaceId: string;
  id: string;
  kind: string;
  state: JobState;
  payload: Record<string, unknown>;
  total: number;
  done: number;
  cursor: string | null;
  attempts: number;
  lockedBy: string | null;
  lockedUntil: Date | null;
  error: string | null;
  /** What a finished job computed (an impact report). */
  result: unknown;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

const columns = `workspace_id AS "workspaceId", id, kind, state, payload, total, done, cursor, attempts, locked_by AS "lockedBy",
  locked_until AS "lockedUntil", error, result, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

export async function insertJob(
  db: Queryable,
  workspaceId: string,
  kind: string,
  payload: Record<string, unknown>,
  now: Date,
): Promise<Job> {
  const { rows } = await db.query<Job>(
    `INSERT INTO jobs (workspace_id, kind, payload, created_at) VALUES ($1, $2, $3, $4) RETURNING ${columns}`,
    [workspaceId, kind, JSON.stringify(payload), now],
  );
  await notify(db, Channel.jobs, rows[0].id);
  return rows[0];
}

export async function getJob(db: Queryable, workspaceId: string, id: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(`SELECT ${columns} FROM jobs WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
  return rows[0];
}

/**
 * Claims the oldest job that is queued, or running under a lease that ran out (its worker died):
 * FOR UPDATE SKIP LOCKED lets several instances claim side by side without taking the same job.
 */
export async function claimJob(
  db: Queryable,
  workerId: string,
  now: Date,
  leaseMs: number,
  kinds: readonly string[],
): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(
    `UPDATE jobs j SET state = 'running', locked_by = $1, locked_until = $2::timestamptz + make_interval(secs => $3 / 1000.0),
            attempts = j.attempts + 1, started_at = coalesce(j.started_at, $2)
      WHERE (j.workspace_id, j.id) = (
        SELECT workspace_id, id FROM jobs
         WHERE (state = 'queued' OR (state = 'running' AND locked_until < $2)) AND kind = ANY($4::text[])
         ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${columns}`,
    [workerId, now, leaseMs, kinds],
  );
  return rows[0];
}

/**
 * Changes a running job this worker still holds (its lease was not taken over): `assignments` is the
 * SET list, whose parameters start at $4. False when another worker has the job now.
 */
async function updateHeldJob(
  db: Queryable,
  job: Pick<Job, 'workspaceId' | 'id'>,
  workerId: string,
  assignments: string,
  values: unknown[],
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE jobs SET ${assignments} WHERE workspace_id = $1 AND id = $2 AND locked_by = $3 AND state = 'running'`,
    [job.workspaceId, job.id, workerId, ...values],
  );
  return (rowCount ?? 0) > 0;
}

/** Records progress and renews the lease; false when another worker has taken the job over. */
export function recordProgress(
  db: Queryable,
  job: Pick<Job, 'workspaceId' | 'id'>,
  workerId: string,
  progress: { done: number; total: number; cursor: string | null },
  now: Date,
  leaseMs: number,
): Promise<boolean> {
  return updateHeldJob(
    db,
    job,
    workerId,
    'done = $4, total = $5, cursor = $6, locked_until = $7::timestamptz + make_interval(secs => $8 / 1000.0)',
    [progress.done, progress.total, progress.cursor, now, leaseMs],
  );
}

export function finishJob(
  db: Queryable,
  job: Pick<Job, 'workspaceId' | 'id'>,
  workerId: string,
  state: 'succeeded' | 'failed',
  now: Date,
  error?: string,
  result?: unknown,
): Promise<boolean> {
  return updateHeldJob(db, job, workerId, 'state = $4, finished_at = $5, error = $6, result = $7, locked_by = NULL, locked_until = NULL', [
    state,
    now,
    error ?? null,
    result === undefined ? null : JSON.stringify(result),
  ]);
}

export async function activeJobFor(db: Queryable, workspaceId: string, kind: string, key: string, value: string): Promise<Job | undefined> {
  const { rows } = await db.query<Job>(
    `SELECT ${columns} FROM jobs WHERE workspace_id = $1 AND kind = $2 AND payload ->> $3 = $4 AND state IN ('queued', 'running') LIMIT 1`,
    [workspaceId, kind, key, value],
  );
  return rows[0];
}

/**
 * Gives a job back to the queue (its cursor keeps the progress): after a failed attempt, or without
 * counting the attempt when it was interrupted (an outage, a stop).
 */
export async function releaseJob(
  db: Queryable,
  job: Pick<Job, 'workspaceId' | 'id'>,
  workerId: string,
  error: string,
  countAttempt = true,
): Promise<void> {
  await updateHeldJob(
    db,
    job,
    workerId,
    "state = 'queued', locked_by = NULL, locked_until = NULL, error = $4, attempts = attempts - CASE WHEN $5 THEN 0 ELSE 1 END",
    [error, countAttempt],
  );
}

/** Deletes up to `limit` jobs that finished before `before`, oldest first; returns how many. */
export async function purgeFinishedJobs(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM jobs WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM jobs WHERE state IN ('succeeded', 'failed') AND finished_at < $1 ORDER BY finished_at LIMIT $2))`,
    [before, limit],
  );
  return rowCount ?? 0;
}
