import { EntryKind, type LedgerEntry } from '../model/ledger';
import type { Queryable } from '../store/db';
import { anchorsMovedSince, type MovedAnchor, type PeriodCorrections, type PeriodSelection } from '../store/score-periods';
import { unpackEntries } from '../store/scores';
import type { ActiveVersion } from './engine';
import { loadEntries } from './history';

/**
 * What a period query (store/score-periods.ts) needs besides the anchors: for each contact whose
 * anchor moved since `then`, the decayed value at `then` of what was added since and of what left the
 * window since. Only moved anchors can need it — an interaction is received at most 5 minutes before
 * it occurred and is scored after it is received, and an expiry is a time step that rewrites the
 * anchor — and their kept entries usually hold all of it (a window and a period of at most 30 days);
 * otherwise the contact's history of the period is read.
 */

/** Interactions may be dated up to this far after they are received. */
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

export async function periodCorrections(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  now: number,
  then: number,
  selection: PeriodSelection = {},
): Promise<PeriodCorrections> {
  const { model } = version;
  const windowMs = model.windowMs;
  const counting = model.minInteractions > 0;
  // The entries a correction needs: made since then, or (with a window) alive at then and gone by now.
  // (Without a window, evidence then is the stored count less what came since the earlier of then and τ.)
  const since = windowMs === null ? then : then - windowMs;
  const moved = await anchorsMovedSince(db, workspaceId, version.id, then - FUTURE_TOLERANCE_MS, selection);
  const rows = new Map(moved.map((row) => [row.contactId, row]));
  const sinceFor = (row: MovedAnchor) => (counting && windowMs === null ? Math.min(since, row.tau) : since);
  const kept = new Map<string, LedgerEntry[]>();
  const missing: MovedAnchor[] = [];
  for (const row of moved) {
    if (row.recent !== null && sinceFor(row) >= model.keptFrom(row.tau)) kept.set(row.contactId, unpackEntries(row.recent, row.contactId));
    else missing.push(row);
  }
  const derived = await loadEntries(
    db,
    workspaceId,
    version,
    missing.map((row) => ({ contactId: row.contactId, since: sinceFor(row) })),
  );
  /** Whether the contact had a score then (minInteractions): evidence then from the entries, or from the stored count without a window. */
  const qualifiedThen = (row: MovedAnchor, entries: readonly LedgerEntry[]): boolean => {
    if (!counting) return true;
    if (windowMs !== null) return model.qualifies(model.evidence(entries, then));
    if (row.evidence === null) return row.qualified;
    // Distinct matches made in (then, τ] are not in the count then; those in (τ, then] are.
    const between = (from: number, to: number) => model.evidence(entries, to) - model.evidence(entries, from);
    return model.qualifies(row.evidence - (row.tau > then ? between(then, row.tau) : -between(row.tau, then)));
  };
  const atThen = (entry: LedgerEntry) =>
    model.halfLifeMs === null ? entry.points : entry.points * 2 ** Math.min(1000, (entry.at - then) / model.halfLifeMs);
  const corrections: PeriodCorrections = { contactIds: [], added: [], expired: [], qualifiedThen: [] };
  for (const [contactId, entries] of [...kept, ...derived]) {
    let added = 0;
    let expired = 0;
    for (const entry of entries) {
      if (entry.kind === EntryKind.state || !entry.counted) continue;
      if (entry.at > then && entry.at <= now && model.inWindow(entry.at, now)) added += atThen(entry);
      else if (windowMs !== null && entry.at > then - windowMs && entry.at <= then && entry.at <= now - windowMs) expired += atThen(entry);
    }
    const row = rows.get(contactId)!;
    const hadScore = qualifiedThen(row, entries);
    if (added === 0 && expired === 0 && hadScore === row.qualified) continue;
    corrections.contactIds.push(contactId);
    corrections.added.push(added);
    corrections.expired.push(expired);
    corrections.qualifiedThen.push(hadScore);
  }
  return corrections;
}
