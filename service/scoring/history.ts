import type { InteractionRecord } from '../model/interaction';
import { EntryKind, type LedgerEntry } from '../model/ledger';
import { getContacts } from '../store/contacts';
import type { Queryable } from '../store/db';
import { scoredInteractionsSince } from '../store/interactions';
import { fetchLedger } from '../store/ledger';
import type { ActiveVersion } from './engine';
import { contactFact, matchInteractions, type ContactFact } from './evaluate';

/**
 * A contact's entries under a version, derived: interaction rules' contributions are what the rules
 * make of the stored interactions (with the contact as it is now), counted unless a limit mark says a
 * match was stopped; state changes and adjustments come from the ledger. Nothing about interactions
 * is stored per version, so this is the one place that knows how to rebuild it.
 */

export type ContactHistory = {
  /** Scored interactions after `since`, in time order. */
  interactions: InteractionRecord[];
  /** Ledger rows after `since`: state changes, adjustments and limit marks. */
  ledger: LedgerEntry[];
};

const markKey = (seq: number, rule: number) => `${seq}/${rule}`;

/** The entries of one contact, in time order, from its history. */
export function entriesOf(version: Pick<ActiveVersion, 'profile'>, fact: ContactFact, history: ContactHistory): LedgerEntry[] {
  const stopped = new Set<string>();
  const kept: LedgerEntry[] = [];
  for (const row of history.ledger) {
    if (row.kind === EntryKind.interaction) stopped.add(markKey(row.interactionSeq!, row.rule));
    else kept.push(row);
  }
  const matches = matchInteractions(version.profile, history.interactions, new Map([[fact.id, fact]]));
  for (const match of matches) if (stopped.has(markKey(match.interactionSeq!, match.rule))) match.counted = false;
  return [...matches, ...kept].sort((x, y) => x.at - y.at || (x.interactionSeq ?? 0) - (y.interactionSeq ?? 0));
}

/** Histories of several contacts under a version, each from its own moment on (exclusive; null = all of it). */
export async function loadHistories(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  requests: readonly { contactId: string; since: number | null }[],
): Promise<Map<string, ContactHistory>> {
  const histories = new Map<string, ContactHistory>(requests.map((request) => [request.contactId, { interactions: [], ledger: [] }]));
  if (requests.length === 0) return histories;
  const [interactions, ledger] = await Promise.all([
    scoredInteractionsSince(db, workspaceId, requests),
    fetchLedger(db, workspaceId, versionId, requests),
  ]);
  for (const interaction of interactions) histories.get(interaction.contactId)?.interactions.push(interaction);
  for (const [contactId, rows] of ledger) histories.get(contactId)?.ledger.push(...rows);
  return histories;
}

/** Entries of several contacts from their moments on; the contacts' facts are read unless given. */
export async function loadEntries(
  db: Queryable,
  workspaceId: string,
  version: Pick<ActiveVersion, 'id' | 'profile'>,
  requests: readonly { contactId: string; since: number | null }[],
  facts?: ReadonlyMap<string, ContactFact>,
): Promise<Map<string, LedgerEntry[]>> {
  const known =
    facts ??
    new Map(
      (
        await getContacts(
          db,
          workspaceId,
          requests.map((request) => request.contactId),
        )
      ).map((contact) => [contact.id, contactFact(contact)]),
    );
  const histories = await loadHistories(db, workspaceId, version.id, requests);
  const entries = new Map<string, LedgerEntry[]>();
  for (const [contactId, history] of histories) {
    const fact = known.get(contactId);
    if (fact) entries.set(contactId, entriesOf(version, fact, history));
  }
  return entries;
}

/** Every entry of one contact (history, asOf and previews). */
export async function contactEntries(
  db: Queryable,
  workspaceId: string,
  version: Pick<ActiveVersion, 'id' | 'profile'>,
  contactId: string,
  since: number | null = null,
): Promise<LedgerEntry[]> {
  return (await loadEntries(db, workspaceId, version, [{ contactId, since }])).get(contactId) ?? [];
}
