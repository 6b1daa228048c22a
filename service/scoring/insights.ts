import { getContacts } from '../store/contacts';
import type { Db } from '../store/db';
import { analyticalQuery, bandNumberSql, periodQuery } from '../store/score-periods';
import type { ActiveVersion } from './engine';
import { DAY_MS, round2 } from './math';

/**
 * The weekly network review of one profile: band distribution now and `days` ago, average score
 * and its change, top risers and fallers, and who needs attention. Every contact's score then and
 * now comes from the anchors and the ledger entries of the period (see store/score-periods.ts).
 */

export type ContactMovement = {
  contactId: string;
  name: string | null;
  tags: string[];
  score: number;
  previousScore: number;
  delta: number;
  band: string | null;
};

export type Insights = {
  profileId: string;
  version: number;
  days: number;
  from: string;
  to: string;
  contacts: number;
  distribution: { band: string | null; color: string | null; count: number; previousCount: number }[];
  averageScore: number | null;
  previousAverageScore: number | null;
  averageDelta: number | null;
  /** Scores now in 20 equal buckets over the profile's range (or the scores' own span): the last bucket includes its upper edge. */
  histogram: { from: number; to: number; count: number }[];
  risers: ContactMovement[];
  fallers: ContactMovement[];
  needsAttention: (ContactMovement & { reasons: string[] })[];
};

const HISTOGRAM_BUCKETS = 20;

type Row = { contactId: string; scoreNow: number; scoreThen: number; vip?: boolean; crossed?: boolean };

export async function insights(db: Db, workspaceId: string, version: ActiveVersion, days: number, now: number, limit: number): Promise<Insights> {
  const { model } = version;
  const then = now - days * DAY_MS;
  const query = periodQuery(workspaceId, version.id, model, now, then);
  const { param, values } = query;
  const lowest = model.profile.bands[0];
  // Subscriptions of this profile that reported a downward crossing in the period.
  const crossedDown = `(SELECT DISTINCT d.contact_id FROM deliveries d
      JOIN subscriptions s ON s.workspace_id = d.workspace_id AND s.id = d.subscription_id
     WHERE d.workspace_id = $1 AND s.profile_id = ${param(version.profileId)}::uuid AND d.occurred_at > $3 AND d.occurred_at <= $4
       AND (d.type = 'score.dropped_below' OR (d.type = 'score.crossed' AND d.payload ->> 'direction' = 'down')))`;
  const attention = [lowest ? `p.score_now < ${param(lowest.max)}::float8` : 'false', `p.contact_id IN (SELECT contact_id FROM crossed)`].join(' OR ');
  // Fixed edges for a histogram where the profile has them (a range; relationship scores are 0–100), else the data's.
  const range = model.profile.range;
  const bounds = range ? `SELECT ${param(range.min)}::float8 AS lo, ${param(range.max)}::float8 AS hi` : 'SELECT min(score_now) AS lo, greatest(max(score_now), min(score_now) + 1) AS hi FROM moves';
  const movement = (order: string, where: string) => `(SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then)), '[]')
      FROM (SELECT contact_id, score_now, score_then FROM moves p WHERE ${where} ORDER BY ${order} LIMIT ${param(limit)}) x)`;
  const { rows } = await analyticalQuery(db, (client) => client.query<{
    groups: { now: number | null; then: number | null; n: number; sumNow: number; sumThen: number }[];
    risers: Row[];
    fallers: Row[];
    attention: Row[];
    histogram: { lo: number | null; hi: number | null; buckets: { bucket: number; n: number }[] };
  }>(
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
            SELECT least(greatest(width_bucket(score_now, b.lo, b.hi, ${HISTOGRAM_BUCKETS}), 1), ${HISTOGRAM_BUCKETS}) AS bucket, count(*)::int AS n
              FROM moves GROUP BY 1) h), '[]')) FROM bounds b) AS histogram,
       (SELECT coalesce(json_agg(json_build_object('now', band_now, 'then', band_then, 'n', n, 'sumNow', sum_now, 'sumThen', sum_then)), '[]') FROM (
          SELECT ${bandNumberSql(model, 'score_now', param)} AS band_now, ${bandNumberSql(model, 'score_then', param)} AS band_then,
                 count(*)::int AS n, sum(score_now)::float8 AS sum_now, sum(score_then)::float8 AS sum_then
            FROM moves GROUP BY 1, 2) g) AS groups,
       ${movement('score_now - score_then DESC, contact_id', 'score_now > score_then')} AS risers,
       ${movement('score_now - score_then ASC, contact_id', 'score_now < score_then')} AS fallers,
       (SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then, 'vip', is_vip, 'crossed', crossed)), '[]') FROM (
          SELECT p.contact_id, p.score_now, p.score_then, p.contact_id IN (SELECT id FROM vip) AS is_vip, p.contact_id IN (SELECT contact_id FROM crossed) AS crossed
            FROM moves p
           WHERE ${attention}
           ORDER BY is_vip DESC, p.score_now - p.score_then ASC, p.score_now ASC, p.contact_id
           LIMIT ${param(limit)}) a) AS attention`,
    values,
  ));
  const result = rows[0]!;
  const listed = [...result.risers, ...result.fallers, ...result.attention].map((row) => row.contactId);
  const contacts = new Map((await getContacts(db, workspaceId, [...new Set(listed)])).map((contact) => [contact.id, contact]));
  const toMovement = (row: Row): ContactMovement => ({
    contactId: row.contactId,
    name: contacts.get(row.contactId)?.name ?? null,
    tags: contacts.get(row.contactId)?.tags ?? [],
    score: row.scoreNow,
    previousScore: row.scoreThen,
    delta: round2(row.scoreNow - row.scoreThen),
    band: model.bandOf(row.scoreNow)?.name ?? null,
  });
  // Band numbers: 1…n are the profile's bands, anything else is outside them.
  const bands = model.profile.bands;
  const bandName = (number: number | null) => (number !== null && number >= 1 && number <= bands.length ? bands[number - 1]!.name : null);
  const count = (pick: (group: (typeof result.groups)[number]) => number | null, band: string | null) =>
    result.groups.filter((group) => bandName(pick(group)) === band).reduce((sum, group) => sum + group.n, 0);
  const contactCount = result.groups.reduce((sum, group) => sum + group.n, 0);
  const distribution: Insights['distribution'] = bands.map((band) => ({ band: band.name, color: band.color, count: count((group) => group.now, band.name), previousCount: count((group) => group.then, band.name) }));
  const outside = { count: count((group) => group.now, null), previousCount: count((group) => group.then, null) };
  if (outside.count + outside.previousCount > 0 || bands.length === 0) distribution.push({ band: null, color: null, ...outside });
  const averageNow = contactCount === 0 ? null : result.groups.reduce((sum, group) => sum + group.sumNow, 0) / contactCount;
  const averageThen = contactCount === 0 ? null : result.groups.reduce((sum, group) => sum + group.sumThen, 0) / contactCount;
  const { lo, hi } = result.histogram;
  const width = lo === null || hi === null ? 0 : (hi - lo) / HISTOGRAM_BUCKETS;
  const histogram =
    lo === null || hi === null
      ? []
      : Array.from({ length: HISTOGRAM_BUCKETS }, (_, index) => ({
          from: round2(lo + index * width),
          to: round2(lo + (index + 1) * width),
          count: result.histogram.buckets.find((bucket) => bucket.bucket === index + 1)?.n ?? 0,
        }));
  return {
    profileId: version.profileId,
    version: version.version,
    days,
    from: new Date(then).toISOString(),
    to: new Date(now).toISOString(),
    contacts: contactCount,
    distribution,
    averageScore: averageNow === null ? null : round2(averageNow),
    previousAverageScore: averageThen === null ? null : round2(averageThen),
    averageDelta: averageNow === null || averageThen === null ? null : round2(averageNow - averageThen),
    histogram,
    risers: result.risers.map(toMovement),
    fallers: result.fallers.map(toMovement),
    needsAttention: result.attention.map((row) => ({
      ...toMovement(row),
      reasons: [
        ...(lowest && row.scoreNow < lowest.max ? [`score under ${lowest.max} (${lowest.name})`] : []),
        ...(row.crossed ? ['crossed a subscribed threshold downwards in the period'] : []),
      ],
    })),
  };
}
