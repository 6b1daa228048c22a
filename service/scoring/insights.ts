import { getContacts } from '../store/contacts';
import type { Db } from '../store/db';
import { periodQuery, withoutNestedLoops } from '../store/score-periods';
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
  risers: ContactMovement[];
  fallers: ContactMovement[];
  needsAttention: (ContactMovement & { reasons: string[] })[];
};

type Row = { contactId: string; scoreNow: number; scoreThen: number; bandNow: string | null; vip?: boolean; crossed?: boolean };

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
  const movement = (order: string, where: string) => `(SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then, 'bandNow', band_now)), '[]')
      FROM (SELECT contact_id, score_now, score_then, band_now FROM period WHERE ${where} ORDER BY ${order} LIMIT ${param(limit)}) x)`;
  const { rows } = await withoutNestedLoops(db, (client) => client.query<{
    distribution: { band: string | null; now: number; then: number }[];
    contacts: number;
    averageNow: number | null;
    averageThen: number | null;
    risers: Row[];
    fallers: Row[];
    attention: Row[];
  }>(
    `WITH ${query.sql},
     crossed AS (${crossedDown})
     SELECT
       (SELECT coalesce(json_agg(json_build_object('band', band, 'now', n_now, 'then', n_then)), '[]') FROM (
          SELECT band, sum(n_now)::int AS n_now, sum(n_then)::int AS n_then FROM (
            SELECT band_now AS band, 1 AS n_now, 0 AS n_then FROM period
            UNION ALL SELECT band_then, 0, 1 FROM period) b GROUP BY band) d) AS distribution,
       (SELECT count(*)::int FROM period) AS contacts,
       (SELECT avg(score_now)::float8 FROM period) AS "averageNow",
       (SELECT avg(score_then)::float8 FROM period) AS "averageThen",
       ${movement('score_now - score_then DESC, contact_id', 'score_now > score_then')} AS risers,
       ${movement('score_now - score_then ASC, contact_id', 'score_now < score_then')} AS fallers,
       (SELECT coalesce(json_agg(json_build_object('contactId', contact_id, 'scoreNow', score_now, 'scoreThen', score_then, 'bandNow', band_now, 'vip', vip, 'crossed', crossed)), '[]') FROM (
          SELECT p.contact_id, p.score_now, p.score_then, p.band_now, ('vip' = ANY(c.tags)) AS vip, p.contact_id IN (SELECT contact_id FROM crossed) AS crossed
            FROM period p JOIN contacts c ON c.workspace_id = $1 AND c.id = p.contact_id
           WHERE ${attention}
           ORDER BY ('vip' = ANY(c.tags)) DESC, p.score_now - p.score_then ASC, p.score_now ASC, p.contact_id
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
    band: row.bandNow,
  });
  const counts = new Map(result.distribution.map((entry) => [entry.band, entry]));
  const distribution = model.profile.bands.map((band) => ({ band: band.name, color: band.color, count: counts.get(band.name)?.now ?? 0, previousCount: counts.get(band.name)?.then ?? 0 }));
  const outside = counts.get(null);
  if (outside || model.profile.bands.length === 0) distribution.push({ band: null, color: null, count: outside?.now ?? 0, previousCount: outside?.then ?? 0 } as never);
  const average = result.averageNow === null ? null : round2(result.averageNow);
  const previous = result.averageThen === null ? null : round2(result.averageThen);
  return {
    profileId: version.profileId,
    version: version.version,
    days,
    from: new Date(then).toISOString(),
    to: new Date(now).toISOString(),
    contacts: result.contacts,
    distribution,
    averageScore: average,
    previousAverageScore: previous,
    averageDelta: result.averageNow === null || result.averageThen === null ? null : round2(result.averageNow - result.averageThen),
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
