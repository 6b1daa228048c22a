import type { Queryable } from './db';

/** Housekeeping statements of background jobs. */

/**
 * Fresh planner statistics for the scoring tables. A publish rewrites the ledger and anchors of a
 * whole workspace; waiting for autovacuum leaves the planner with plans (for ingest too) that read a
 * whole version.
 */
export async function analyzeScoringTables(db: Queryable): Promise<void> {
  await db.query('ANALYZE score_ledger, scores');
}

/** Deletes up to `limit` rows a retired version left in one table; returns how many went. */
export async function deleteVersionRows(
  db: Queryable,
  table: 'score_ledger' | 'scores',
  workspaceId: string,
  versionId: number,
  limit: number,
): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE workspace_id = $1 AND version_id = $2 LIMIT $3))`,
    [workspaceId, versionId, limit],
  );
  return rowCount ?? 0;
}
