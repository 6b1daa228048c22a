import type { ContactFilter } from '../store/contacts';
import type { SegmentFilter } from '../store/segments';
import type { ScoreModel } from './math';

/**
 * What a segment's filter means, decided the same way in SQL (member lists, sizes: store/score-sql.ts)
 * and here (who entered or left at a given moment: segment-watcher.ts).
 */

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** A relative duration as filters take it: a count and a unit, m(inutes), h(ours), d(ays) or w(eeks): "30d". */
export const DURATION_PATTERN = /^([1-9]\d{0,5})([mhdw])$/;

export function durationMs(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Raw-score bounds [min, max) of minScore, maxScore (inclusive) and a band, as the shown score decides them; null for a band the profile lacks. */
export function rawScoreBounds(
  model: ScoreModel,
  minScore: number | undefined,
  maxScore: number | undefined,
  bandName: string | undefined,
): { min: number; max: number } | null {
  let min = minScore === undefined ? -Infinity : model.rawThreshold(minScore);
  let max = maxScore === undefined ? Infinity : model.rawAtMostBound(maxScore);
  if (bandName !== undefined) {
    const bands = model.profile.bands;
    const index = bands.findIndex((band) => band.name === bandName);
    if (index === -1) return null;
    const band = bands[index];
    min = Math.max(min, model.rawThreshold(band.min));
    max = Math.min(max, index === bands.length - 1 ? model.rawAtMostBound(band.max) : model.rawThreshold(band.max));
  }
  return { min, max };
}

/** What membership is decided on besides the score. */
export type MemberFacts = { tags: string[]; accountId: string | null; ownerId: string | null; lastInteractionAt: Date | null };

/**
 * Whether a contact belongs to a segment at `at`. `raw` is its raw score in the segment's profile then
 * (null: no score there, or not enough interactions to show one); `bounds` are the filter's raw bounds.
 */
export function segmentHolds(
  filter: SegmentFilter,
  bounds: { min: number; max: number } | null,
  facts: MemberFacts,
  raw: number | null,
  at: number,
): boolean {
  if (filter.tags && !filter.tags.some((tag) => facts.tags.includes(tag))) return false;
  if (filter.allTags && !filter.allTags.every((tag) => facts.tags.includes(tag))) return false;
  if (filter.accountId !== undefined && facts.accountId !== filter.accountId) return false;
  if (filter.ownerId !== undefined && facts.ownerId !== filter.ownerId) return false;
  const lastAt = facts.lastInteractionAt ? facts.lastInteractionAt.getTime() : -Infinity;
  if (filter.lastInteractionBefore !== undefined && !(lastAt < at - durationMs(filter.lastInteractionBefore))) return false;
  if (filter.lastInteractionAfter !== undefined && !(lastAt >= at - durationMs(filter.lastInteractionAfter))) return false;
  if (filter.profileId !== undefined) {
    if (raw === null || bounds === null) return false;
    if (!(raw >= bounds.min && raw < bounds.max)) return false;
  }
  return true;
}

/** The windows of a filter on the last interaction, in ms ("before" and "after" both flip just after lastAt + window). */
export function segmentWindows(filter: SegmentFilter): number[] {
  const windows: number[] = [];
  if (filter.lastInteractionBefore !== undefined) windows.push(durationMs(filter.lastInteractionBefore));
  if (filter.lastInteractionAfter !== undefined) windows.push(durationMs(filter.lastInteractionAfter));
  return windows;
}

/** The filter's non-score part as contact lists take it, with the last-interaction windows made absolute at `now`. */
export function contactFilterOf(filter: SegmentFilter, now: number): ContactFilter {
  return {
    tags: filter.tags,
    allTags: filter.allTags,
    accountId: filter.accountId,
    ownerId: filter.ownerId,
    lastInteractionBefore:
      filter.lastInteractionBefore === undefined ? undefined : new Date(now - durationMs(filter.lastInteractionBefore)),
    lastInteractionAfter: filter.lastInteractionAfter === undefined ? undefined : new Date(now - durationMs(filter.lastInteractionAfter)),
  };
}
