import type { Db } from './db';
import { analyticalQuery, bandNumberSql, periodQuery, type PeriodCorrections, type PeriodScoring } from './score-periods';

/**
 * The rows of the network review (insights) in one analytical statement: every contact's score now
 * and then (store/score-periods.ts) kept in memory, grouped by the pair of band numbers for the
 * distribution, count and averages, plus risers, fallers, who needs attention and a histogram.
 */

/** scoreThen is null for a contact that had no score then (a profile's minInteractions; only among those needing attention). */
export type ReviewRow = { contactId: string; scoreNow: number; scoreThen: number | null; vip?: boolean; crossed?: boolean };

export type ReviewRequest = {
  workspaceId: string;
  versionId: number;
  profileId: string;
  scoring: PeriodScoring;
  now: number;
  then: number;
  limit: number;
  /** Contacts under this score need attention (the lowest band's upper edge); null: only those that crossed down. */
  attentionBelow: number | null;
  histogramBuckets: number;
  corrections: PeriodCorrections;
};

export type ReviewRows = {
  /**
   * Contacts by the pair of band numbers now and then: how many had a score now and then (a contact
   * may have only one of them, under a profile's minInteractions; its band number is then NULL and
   * it is counted only where it had one), and the sums of those scores.
   */
  groups: { now: number | null; then: number | null; n: number; nNow: number; nThen: number; sumNow: number; sumThen: number }[];
  risers: ReviewRow[];
  fallers: ReviewRow[];
  attention: ReviewRow[];
  histogram: { lo: number | null; hi: number | null; buckets: { bucket: number; n: number }[] };
};

export async function networkReviewRows(db: Db, request: ReviewRequest): Promise<ReviewRows> {
  const { scoring: model, limit } = request;
  const query = periodQuery(request.workspaceId, request.versionId, model, request.now, request.then, request.corrections);
  const { param, values } = query;
  // Subscriptions of this profile that reported a downward crossing in the period.
  const crossedDown = `(SELECT DISTINCT d.contact_id FROM deliveries d
      JOIN subscriptions s ON s.workspace_id = d.workspace_id AND s.id = d.subscription_id
     WHERE d.workspace_id = $1 AND s.profile_id = ${param(request.profileId)}::uuid AND d.occurred_at > $3 AND d.occurred_at <= $4
       AND (d.type = 'score.dropped_below' OR (d.type = 'score.crossed' AND d.payload ->> 'direction' = 'down')))`;
  // Only contacts with a score now (a profile's minInteractions) need attention.
  const attention = `p.score_now IS NOT NULL AND (${[
    request.attentionBelow !== null ? `p.score_now < ${param(request.attentionBelow)}::float8` : 'false',
    `p.contact_id IN (SELECT contact_id FROM crossed)`,
  ].join(' OR ')})`;
  // Fixed edges for a histogram where the profile has them (a range; relationship scores are 0–100), else the data's.
  const range = model.profile.range;
  const bounds = range
    ? `SELECT ${param(range.min)}::float8 AS lo, ${param(range.max)}::float8 AS hi`
    : 'SELECT min(score_now) AS lo, greatest(max(score_now), min(score_now) + 1) AS hi FROM moves';
  const buckets = request.histogramBuckets;
  const movement = (
    order: string,
    where: string,
  ) => `(SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then)), '[]')
      FROM (SELECT contact_id, score_now, score_then FROM moves p WHERE ${where} ORDER BY ${order} LIMIT ${param(limit)}) x)`;
  const { rows } = await analyticalQuery(db, (client) =>
    client.query<ReviewRows>(
      // The period's scores kept in memory (only what the lists need); one pass over them for the
      // distribution, the count and both averages (grouped by the pair of band numbers), one for each
      // list; VIPs come from the tag index, not from a join of every contact.
      `WITH ${query.sql},
     moves AS MATERIALIZED (SELECT contact_id, score_now, score_then FROM period),
     crossed AS (${crossedDown}),
     vip AS (SELECT id FROM contacts WHERE workspace_id = $1 AND tags @> ARRAY['vip']),
     bounds AS (${bounds})
     SELECT
       (SELECT json_build_object('lo', b.lo, 'hi', b.hi, 'buckets', coalesce((
          SELECT json_agg(json_build_object('bucket', bucket, 'n', n) ORDER BY bucket) FROM (
            SELECT least(greatest(width_bucket(score_now, b.lo, b.hi, ${buckets}), 1), ${buckets}) AS bucket, count(*)::int AS n
              FROM moves WHERE score_now IS NOT NULL GROUP BY 1) h), '[]')) FROM bounds b) AS histogram,
       (SELECT coalesce(json_agg(json_build_object('now', band_now, 'then', band_then, 'n', n, 'nNow', n_now, 'nThen', n_then,
                                                   'sumNow', coalesce(sum_now, 0), 'sumThen', coalesce(sum_then, 0))), '[]') FROM (
          SELECT ${bandNumberSql(model, 'score_now', param)} AS band_now, ${bandNumberSql(model, 'score_then', param)} AS band_then,
                 count(*)::int AS n, count(score_now)::int AS n_now, count(score_then)::int AS n_then,
                 sum(score_now)::float8 AS sum_now, sum(score_then)::float8 AS sum_then
            FROM moves GROUP BY 1, 2, score_now IS NULL, score_then IS NULL) g) AS groups,
       ${movement('score_now - score_then DESC, contact_id', 'score_now > score_then')} AS risers,
       ${movement('score_now - score_then ASC, contact_id', 'score_now < score_then')} AS fallers,
       (SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then, 'vip', is_vip, 'crossed', crossed)), '[]') FROM (
          SELECT p.contact_id, p.score_now, p.score_then, p.contact_id IN (SELECT id FROM vip) AS is_vip, p.contact_id IN (SELECT contact_id FROM crossed) AS crossed
            FROM moves p
           WHERE ${attention}
           ORDER BY is_vip DESC, p.score_now - p.score_then ASC, p.score_now ASC, p.contact_id
           LIMIT ${param(limit)}) a) AS attention`,
      values,
    ),
  );
  return rows[0];
}
