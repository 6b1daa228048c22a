import { transaction, type Db, type Queryable } from './db';
import { parameters, type Param } from './score-sql';

/**
 * Every contact's score now and `days` ago: each anchor's exponential extrapolated back to then,
 * corrected — for the few contacts whose anchor moved in the period — by what was added since then
 * or expired since then (computed by scoring/periods.ts from the entries the anchors keep), and by
 * the state changes of the period (a range scan of the ledger by time). Anchors must be current
 * (callers refresh stale ones first).
 */

/** What period queries need to know of how a version scores (a ScoreModel has all of it). */
export type PeriodScoring = {
  halfLifeMs: number | null;
  windowMs: number | null;
  profile: { kind: string; saturation: number; range: { min: number; max: number } | null; bands: readonly { min: number; max: number }[] };
};

export type PeriodSelection = { contactIds?: readonly string[]; accountId?: string };

/**
 * Per contact whose anchor moved in the period: the decayed value at `then` of the contributions made
 * since then (`added`) and of those that left the window since then (`expired`), and whether it had a
 * score then (`qualifiedThen`, a profile's minInteractions; every other contact had one then as it has
 * one now).
 */
export type PeriodCorrections = { contactIds: string[]; added: number[]; expired: number[]; qualifiedThen: boolean[] };

/**
 * The anchors of a version whose contributions (or evidence, under minInteractions) changed since
 * `since` (the only ones a period may need to correct), with the entries they keep and whether the
 * contact has a score.
 */
export async function anchorsMovedSince(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  since: number,
  selection: PeriodSelection = {},
): Promise<MovedAnchor[]> {
  const { values, param } = parameters([workspaceId, versionId, new Date(since).toISOString()]);
  const scope = selectionConditions(selection, param, 'sc.contact_id');
  const { rows } = await db.query<MovedAnchor>(
    `SELECT sc.contact_id AS "contactId", (extract(epoch FROM sc.anchor_at) * 1000)::float8 AS tau, sc.recent, sc.qualified, sc.evidence FROM scores sc
      WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND (sc.changed_at > $3 OR sc.recent IS NULL) ${scope.map((condition) => `AND ${condition}`).join(' ')}`,
    values,
  );
  return rows;
}

export type MovedAnchor = { contactId: string; tau: number; recent: Buffer | null; qualified: boolean; evidence: number | null };

function selectionConditions(selection: PeriodSelection, param: Param, column: string): string[] {
  const scope: string[] = [];
  if (selection.contactIds) scope.push(`${column} = ANY(${param(selection.contactIds)}::text[])`);
  if (selection.accountId !== undefined)
    scope.push(`${column} IN (SELECT id FROM contacts WHERE workspace_id = $1 AND account_id = ${param(selection.accountId)})`);
  return scope;
}

/** SQL for the shown score of a raw value, exactly as ScoreModel.report (clamp, curve, round half up). */
export function reportSql(model: PeriodScoring, raw: string, param: Param): string {
  const { profile } = model;
  let value = raw;
  if (profile.kind === 'relationship') value = `(100 * (1 - exp(-(${raw}) / ${param(profile.saturation)}::float8)))`;
  if (profile.range) value = `least(${param(profile.range.max)}::float8, greatest(${param(profile.range.min)}::float8, ${value}))`;
  return `(floor(${value} * 100 + 0.5) / 100)`;
}

/**
 * SQL for the band of a shown score as a number: 1…n for the profile's bands in order, 0 below the
 * lowest, n + 1 above the top (min inclusive, max exclusive, the top band includes its max). Bands
 * are contiguous (validated), so one width_bucket over their edges decides it.
 */
export function bandNumberSql(model: PeriodScoring, score: string, param: Param): string {
  const bands = model.profile.bands;
  if (bands.length === 0) return 'NULL::int';
  const top = bands[bands.length - 1];
  const edges = [...bands.map((band) => band.min), top.max];
  return `(CASE WHEN ${score} = ${param(top.max)}::float8 THEN ${bands.length} ELSE width_bucket(${score}, ${param(edges)}::float8[]) END)`;
}

/**
 * A query (CTE `period`) with one row per selected contact that has a score now or had one then:
 * contact_id, raw_now, raw_then, score_now, score_then — a score NULL when the contact had none
 * (fewer interactions than the profile's minInteractions).
 */
export function periodQuery(
  workspaceId: string,
  versionId: number,
  model: PeriodScoring,
  now: number,
  then: number,
  corrections: PeriodCorrections,
  selection: PeriodSelection = {},
) {
  const { values, param } = parameters([workspaceId, versionId, new Date(then).toISOString(), new Date(now).toISOString()]);
  const h = model.halfLifeMs;
  const scope = selectionConditions(selection, param, 'sc.contact_id');
  const ledgerScope = selectionConditions(selection, param, 'l.contact_id');
  // The anchor's exponential at a moment (extrapolated back for `then`); without decay, the amount itself.
  const decayedAt = (ms: number) => (h === null ? 'sc.sort_key' : `es_decayed(sc.sign, sc.sort_key, ${param(ms / h)}::float8)`);
  const rawNow = `(sc.state_points + ${decayedAt(now)})`;
  const rawThen = `(sc.state_points - coalesce(ch.state_change, 0) + ${decayedAt(then)} - coalesce(ch.added, 0) + coalesce(ch.expired, 0))`;
  const sql = `
    changes AS (
      SELECT contact_id, sum(added) AS added, sum(expired) AS expired, sum(state_change) AS state_change, bool_and(qualified_then) AS qualified_then FROM (
        SELECT c.contact_id, c.added, c.expired, 0::float8 AS state_change, c.qualified_then
          FROM unnest(${param(corrections.contactIds)}::text[], ${param(corrections.added)}::float8[], ${param(corrections.expired)}::float8[],
                      ${param(corrections.qualifiedThen)}::boolean[]) AS c(contact_id, added, expired, qualified_then)
        UNION ALL
        SELECT l.contact_id, 0, 0, l.points, NULL::boolean FROM score_ledger l
         WHERE l.workspace_id = $1 AND l.version_id = $2 AND l.kind = 1 AND l.at > $3 AND l.at <= $4
               ${ledgerScope.map((condition) => `AND ${condition}`).join(' ')}
      ) c GROUP BY contact_id
    ),
    raw AS (
      SELECT sc.contact_id, ${rawNow} AS raw_now, ${rawThen} AS raw_then, sc.qualified AS qualified_now, coalesce(ch.qualified_then, sc.qualified) AS qualified_then
        FROM scores sc LEFT JOIN changes ch ON ch.contact_id = sc.contact_id
       WHERE sc.workspace_id = $1 AND sc.version_id = $2 ${scope.map((condition) => `AND ${condition}`).join(' ')}
    ),
    period AS (
      SELECT contact_id, raw_now, raw_then,
             CASE WHEN qualified_now THEN ${reportSql(model, 'raw_now', param)} END AS score_now,
             CASE WHEN qualified_then THEN ${reportSql(model, 'raw_then', param)} END AS score_then
        FROM raw WHERE qualified_now OR qualified_then
    )`;
  return { sql, values, param };
}

/** A contact's scores now and then; null when it had none (the profile's minInteractions). */
export type PeriodRow = { contactId: string; rawNow: number; rawThen: number; scoreNow: number | null; scoreThen: number | null };

/**
 * Runs an analytical query over every contact (insights, account roll-ups) with settings of its own:
 * - hash joins only: right after a bulk load the planner's statistics can be stale enough to pick a
 *   nested loop that re-aggregates the period's corrections once per contact (seconds, not ms);
 * - room to keep the period of 100,000 contacts in memory rather than spill it to disk;
 * - one parallel worker beside the leader, and cheaper parallelism so the planner uses it: measured
 *   on 100,000 contacts, 212 ms serial, 172 ms with two workers, 152 ms with one (each worker
 *   rebuilds the period's ledger sums; one is the sweet spot, and a report leaves the other cores
 *   of the database to ingest).
 */
export async function analyticalQuery<T>(db: Db, work: (client: Queryable) => Promise<T>): Promise<T> {
  return transaction(db, async (client) => {
    await client.query(`SET LOCAL enable_nestloop = off; SET LOCAL work_mem = '64MB';
      SET LOCAL max_parallel_workers_per_gather = 1; SET LOCAL parallel_setup_cost = 100; SET LOCAL parallel_tuple_cost = 0.01`);
    return work(client);
  });
}

/** Scores now and then of some contacts (an account's). */
export async function scoresInPeriod(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  model: PeriodScoring,
  now: number,
  then: number,
  corrections: PeriodCorrections,
  selection: PeriodSelection,
): Promise<PeriodRow[]> {
  const query = periodQuery(workspaceId, versionId, model, now, then, corrections, selection);
  const { rows } = await db.query<PeriodRow>(
    `WITH ${query.sql}
     SELECT contact_id AS "contactId", raw_now AS "rawNow", raw_then AS "rawThen", score_now::float8 AS "scoreNow", score_then::float8 AS "scoreThen"
       FROM period ORDER BY contact_id`,
    query.values,
  );
  return rows;
}
