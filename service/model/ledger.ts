/**
 * The ledger's entries: what each interaction earned under a profile version, state rules starting or
 * stopping to hold, and adjustments (see docs/scoring-math.md). Shared by the scoring code, which
 * computes with them, and the store, which keeps them.
 */

export const EntryKind = { interaction: 0, state: 1, adjustment: 2 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export type Entry = {
  at: number;
  kind: EntryKind;
  /** Index of the rule in the profile; -1 for adjustments. */
  rule: number;
  points: number;
  /** false for a match beyond its rule's limit: kept to re-decide limits, worth nothing. */
  counted: boolean;
  actorId?: string | null;
};

/** A ledger row: an Entry of one contact, with what earned it. */
export type LedgerEntry = Entry & {
  contactId: string;
  interactionSeq: number | null;
  actorId: string | null;
  adjustmentId: string | null;
};
