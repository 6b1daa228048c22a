import { transaction, type Db, type Queryable } from './db';
import { parameters, type Param } from './score-sql';

/**
 * Every contact's score now and `days` ago, from indexed data only: each anchor's exponential
 * extrapolated back to then, corrected by the ledger entries of the period (added since then, or
 * expired since then) — a range scan by time, not a replay of each contact's ledger. Anchors must
 * be current (callers refresh stale ones first).
 */

/** What period queries need to know of how a version scores (a ScoreModel has all of it). */
export type PeriodScoring = {
  halfLifeMs: number | null;
  windowMs: number | null;
  profile: { kind: string; saturation: number; range: { min: number; max: number } | null; bands: readonly { min: number; max: number }[] };
};

export type PeriodSelection = { contactIds?: readonly string[]; accountId?: string };

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
 * A query (CTE `period`) with one row per selected contact: contact_id, raw_now, raw_then,
 * score_now, score_then.
 */
export function periodQuery(
  workspaceId: string,
  versionId: number,
  model: PeriodScoring,
  now: number,
  then: number,
  selection: PeriodSelection = {},
) {
  const { values, param } = parameters([workspaceId, versionId, new Date(then).toISOString(), new Date(now).toISOString()]);
  const h = model.halfLifeMs;
  const w = model.windowMs;
  // The value at `then` of an entry made at `at`, on the anchor's exponential (grows for later entries).
  const atThen =
    h === null
      ? 'l.points'
      : `l.points * power(2::float8, least(1000, (extract(epoch FROM l.at - $3::timestamptz) * 1000) / ${param(h)}::float8))`;
  // Window edges computed here, not per row (timestamptz arithmetic is not folded by the planner).
  const windowStart = (moment: number) => `${param(new Date(moment - (w ?? 0)).toISOString())}::timestamptz`;
  const inWindowNow = w === null ? 'true' : `l.at > ${windowStart(now)}`;
  const expiredRange = w === null ? 'false' : `(l.at > ${windowStart(then)} AND l.at <= $3::timestamptz AND l.at <= ${windowStart(now)})`;
  const scope: string[] = [];
  if (selection.contactIds) scope.push(`sc.contact_id = ANY(${param(selection.contactIds)}::text[])`);
  if (selection.accountId !== undefined)
    scope.push(`sc.contact_id IN (SELECT id FROM contacts WHERE workspace_id = $1 AND account_id = ${param(selection.accountId)})`);
  const ledgerScope = scope.map((condition) => condition.replaceAll('sc.contact_id', 'l.contact_id'));
  // The anchor's exponential at a moment (extrapolated back for `then`); without decay, the amount itself.
  const decayedAt = (ms: number) => (h === null ? 'sc.sort_key' : `es_decayed(sc.sign, sc.sort_key, ${param(ms / h)}::float8)`);
  const rawNow = `(sc.state_points + ${decayedAt(now)})`;
  const rawThen = `(sc.state_points - coalesce(ch.state_change, 0) + ${decayedAt(then)} - coalesce(ch.added, 0) + coalesce(ch.expired, 0))`;
  const sql = `
    changes AS (
      SELECT l.contact_id,
             sum(CASE WHEN l.kind <> 1 AND l.counted AND l.at > $3 AND l.at <= $4 AND ${inWindowNow} THEN ${atThen} ELSE 0 END) AS added,
             sum(CASE WHEN l.kind <> 1 AND l.counted AND ${expiredRange} THEN ${atThen} ELSE 0 END) AS expired,
             sum(CASE WHEN l.kind = 1 AND l.at > $3 AND l.at <= $4 THEN l.points ELSE 0 END) AS state_change
        FROM score_ledger l
       WHERE l.workspace_id = $1 AND l.version_id = $2 AND ((l.at > $3 AND l.at <= $4) OR ${expiredRange})
             ${ledgerScope.map((condition) => `AND ${condition}`).join(' ')}
       GROUP BY l.contact_id
    ),
    raw AS (
      SELECT sc.contact_id, ${rawNow} AS raw_now, ${rawThen} AS raw_then
        FROM scores sc LEFT JOIN changes ch ON ch.contact_id = sc.contact_id
       WHERE sc.workspace_id = $1 AND sc.version_id = $2 ${scope.map((condition) => `AND ${condition}`).join(' ')}
    ),
    period AS (
      SELECT contact_id, raw_now, raw_then, ${reportSql(model, 'raw_now', param)} AS score_now, ${reportSql(model, 'raw_then', param)} AS score_then FROM raw
    )`;
  return { sql, values, param };
}

export type PeriodRow = { contactId: string; rawNow: number; rawThen: number; scoreNow: number; scoreThen: number };

/**
 * Runs an analytical query over every contact (insights, account roll-ups) with settings of its own:
 * - hash joins only: right after a bulk load the planner's statistics can be stale enough to pick a
 *   nested loop that re-aggregates the period's ledger entries once per contact (seconds, not ms);
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
  selection: PeriodSelection,
): Promise<PeriodRow[]> {
  const query = periodQuery(workspaceId, versionId, model, now, then, selection);
  const { rows } = await db.query<PeriodRow>(
    `WITH ${query.sql}
     SELECT contact_id AS "contactId", raw_now AS "rawNow", raw_then AS "rawThen", score_now::float8 AS "scoreNow", score_then::float8 AS "scoreThen"
       FROM period ORDER BY contact_id`,
    query.values,
  );
  return rows;
}
