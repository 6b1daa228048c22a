import { getContacts } from '../store/contacts';
import type { Db } from '../store/db';
import { networkReviewRows, type ReviewRow } from '../store/network-review';
import type { ActiveVersion } from './engine';
import { DAY_MS, round2 } from './math';
import { periodCorrections } from './periods';

/**
 * The weekly network review of one profile: band distribution now and `days` ago, average score
 * and its change, top risers and fallers, and who needs attention. Every contact's score then and
 * now comes from the anchors, corrected for what moved in the period (scoring/periods.ts).
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

type Row = ReviewRow;

export async function insights(
  db: Db,
  workspaceId: string,
  version: ActiveVersion,
  days: number,
  now: number,
  limit: number,
): Promise<Insights> {
  const { model } = version;
  const then = now - days * DAY_MS;
  const lowest = model.profile.bands[0];
  const corrections = await periodCorrections(db, workspaceId, version, now, then);
  const result = await networkReviewRows(db, {
    workspaceId,
    versionId: version.id,
    profileId: version.profileId,
    scoring: model,
    now,
    then,
    limit,
    attentionBelow: lowest?.max ?? null,
    histogramBuckets: HISTOGRAM_BUCKETS,
    corrections,
  });
  const listed = [...result.risers, ...result.fallers, ...result.attention].map((row) => row.contactId);
  const contacts = new Map((await getContacts(db, workspaceId, [...new Set(listed)])).map((contact) => [contact.id, contact]));
  // A contact that had no score then (minInteractions) compares with "no score", the range minimum, as crossings do.
  const noScore = model.report(model.noScoreRaw);
  const toMovement = (row: Row): ContactMovement => ({
    contactId: row.contactId,
    name: contacts.get(row.contactId)?.name ?? null,
    tags: contacts.get(row.contactId)?.tags ?? [],
    score: row.scoreNow,
    previousScore: row.scoreThen ?? noScore,
    delta: round2(row.scoreNow - (row.scoreThen ?? noScore)),
    band: model.bandOf(row.scoreNow)?.name ?? null,
  });
  // Band numbers: 1…n are the profile's bands, anything else is outside them.
  const bands = model.profile.bands;
  const bandName = (number: number | null) => (number !== null && number >= 1 && number <= bands.length ? bands[number - 1].name : null);
  // Contacts are counted where they had a score: now, then, or both (a profile's minInteractions).
  type Group = (typeof result.groups)[number];
  const present = { band: (group: Group) => group.now, size: (group: Group) => group.nNow };
  const past = { band: (group: Group) => group.then, size: (group: Group) => group.nThen };
  const count = (side: typeof present, band: string | null) =>
    result.groups.filter((group) => bandName(side.band(group)) === band).reduce((sum, group) => sum + side.size(group), 0);
  const contactCount = result.groups.reduce((sum, group) => sum + group.nNow, 0);
  const previousCount = result.groups.reduce((sum, group) => sum + group.nThen, 0);
  const distribution: Insights['distribution'] = bands.map((band) => ({
    band: band.name,
    color: band.color,
    count: count(present, band.name),
    previousCount: count(past, band.name),
  }));
  const outside = { count: count(present, null), previousCount: count(past, null) };
  if (outside.count + outside.previousCount > 0 || bands.length === 0) distribution.push({ band: null, color: null, ...outside });
  const averageNow = contactCount === 0 ? null : result.groups.reduce((sum, group) => sum + group.sumNow, 0) / contactCount;
  const averageThen = previousCount === 0 ? null : result.groups.reduce((sum, group) => sum + group.sumThen, 0) / previousCount;
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
