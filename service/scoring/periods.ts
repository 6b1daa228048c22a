import { EntryKind, type LedgerEntry } from '../model/ledger';
import type { Queryable } from '../store/db';
import { anchorsMovedSince, type PeriodCorrections, type PeriodSelection } from '../store/score-periods';
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
  // The entries a correction needs: made since then, or (with a window) alive at then and gone by now.
  const since = windowMs === null ? then : then - windowMs;
  const moved = await anchorsMovedSince(db, workspaceId, version.id, then - FUTURE_TOLERANCE_MS, selection);
  const kept = new Map<string, LedgerEntry[]>();
  const missing: string[] = [];
  for (const row of moved) {
    if (row.recent !== null && since >= model.keptFrom(row.tau)) kept.set(row.contactId, unpackEntries(row.recent, row.contactId));
    else missing.push(row.contactId);
  }
  const derived = await loadEntries(
    db,
    workspaceId,
    version,
    missing.map((contactId) => ({ contactId, since })),
  );
  const atThen = (entry: LedgerEntry) =>
    model.halfLifeMs === null ? entry.points : entry.points * 2 ** Math.min(1000, (entry.at - then) / model.halfLifeMs);
  const corrections: PeriodCorrections = { contactIds: [], added: [], expired: [] };
  for (const [contactId, entries] of [...kept, ...derived]) {
    let added = 0;
    let expired = 0;
    for (const entry of entries) {
      if (entry.kind === EntryKind.state || !entry.counted) continue;
      if (entry.at > then && entry.at <= now && model.inWindow(entry.at, now)) added += atThen(entry);
      else if (windowMs !== null && entry.at > then - windowMs && entry.at <= then && entry.at <= now - windowMs) expired += atThen(entry);
    }
    if (added === 0 && expired === 0) continue;
    corrections.contactIds.push(contactId);
    corrections.added.push(added);
    corrections.expired.push(expired);
  }
  return corrections;
}
