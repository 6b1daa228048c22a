import type { Queryable } from './db';

/** What /metrics reports of the outbox and the job queue. */
export type OutboxFigures = {
  pendingDeliveries: number;
  oldestPendingSeconds: number;
  jobs: { kind: string; state: string; count: number }[];
};

export async function outboxFigures(db: Queryable): Promise<OutboxFigures> {
  // The pending deliveries through their partial index; jobs are few (the retention sweep trims them).
  const [deliveries, jobs] = await Promise.all([
    db.query<{ pending: number; oldest: number }>(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
         FROM deliveries WHERE state = 'pending'`,
    ),
    db.query<{ kind: string; state: string; count: number }>('SELECT kind, state, count(*)::int AS count FROM jobs GROUP BY kind, state'),
  ]);
  return { pendingDeliveries: deliveries.rows[0].pending, oldestPendingSeconds: deliveries.rows[0].oldest, jobs: jobs.rows };
}
