import type { LedgerEntry } from './ledger';

/**
 * A contact's score under one version as an anchor: raw(t) = s + a · 2^(−(t − τ)/h), exact until
 * `staleAt` (see docs/scoring-math.md). Time is in milliseconds.
 */
export type Anchor = {
  s: number;
  a: number;
  tau: number;
  /** When the anchor stops describing the score (an expiry or a future-dated entry); null = never. */
  staleAt: number | null;
};

export const emptyAnchor = (tau: number): Anchor => ({ s: 0, a: 0, tau, staleAt: null });

/** Keys that order contacts by score at any time without recomputation (ScoreModel.sortKeyOf). */
export type SortKey = { sign: -1 | 0 | 1; key: number };

/**
 * An anchor as stored, with the entries it keeps: those that can still matter to its score, its trend
 * or a limit (ScoreModel.keptFrom) — interaction matches (counted or stopped by a limit) and
 * adjustments. null: none kept (an anchor written before they were), so they are derived from the
 * contact's history when needed.
 */
export type StoredScore = {
  anchor: Anchor;
  recent: LedgerEntry[] | null;
  /** The last moment its contributions changed (an entry made, or one leaving the window): periods before it need no correction. */
  changedAt: number | null;
  /**
   * Whether the contact has a score: at least the profile's `minInteractions` matching interactions in
   * the window at τ (always true when the profile has none). Unqualified contacts are left out of
   * score lists, filters, insights, roll-ups and crossings (column `scores.qualified`).
   */
  qualified: boolean;
  /** The count of matching interactions in the window at τ (null: not counted, the profile has no `minInteractions`). */
  evidence: number | null;
};

/** An anchor with whether its contact has a score (StoredScore.qualified). */
export type QualifiedAnchor = Anchor & { qualified: boolean };
