import type { Contact } from '../store/contacts';
import type { InteractionRecord } from '../model/interaction';
import type { LedgerEntry } from '../model/ledger';
import { EntryKind } from '../model/ledger';
import { DAY_MS } from './math';
import type { CompiledProfile, CompiledRule } from './profile';

/** Turning interactions and contacts into ledger entries under one profile version. */

/** What rules see as the `interaction` fact; made once per interaction however many versions score it (kept on the record). */
const FACT = Symbol('interaction fact');

export function interactionFact(interaction: InteractionRecord) {
  const record = interaction as InteractionRecord & { [FACT]?: ReturnType<typeof makeInteractionFact> };
  return (record[FACT] ??= makeInteractionFact(interaction));
}

function makeInteractionFact(interaction: InteractionRecord) {
  return {
    id: interaction.id,
    type: interaction.type,
    occurredAt: new Date(interaction.occurredAt).toISOString(),
    actorId: interaction.actorId,
    channel: interaction.channel,
    direction: interaction.direction,
    properties: interaction.properties ?? {},
  };
}

/** What rules see as the `contact` fact. */
export function contactFact(contact: Pick<Contact, 'id' | 'tags' | 'attributes' | 'accountId' | 'ownerId'>) {
  return { id: contact.id, tags: contact.tags, attributes: contact.attributes, accountId: contact.accountId, ownerId: contact.ownerId };
}

export type ContactFact = ReturnType<typeof contactFact>;

/** Every (interaction, rule) match as a ledger entry that counts (limits are decided afterwards). */
export function matchInteractions(
  profile: CompiledProfile,
  interactions: readonly InteractionRecord[],
  contacts: ReadonlyMap<string, ContactFact>,
): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  if (profile.interactionRules.length === 0) return entries;
  for (const interaction of interactions) {
    const facts = {
      interaction: interactionFact(interaction),
      contact: contacts.get(interaction.contactId) ?? {
        id: interaction.contactId,
        tags: [],
        attributes: {},
        accountId: null,
        ownerId: null,
      },
    };
    for (const rule of profile.interactionRules) {
      if (!rule.conditions.lenient(facts)) continue;
      entries.push({
        contactId: interaction.contactId,
        at: interaction.occurredAt,
        kind: EntryKind.interaction,
        rule: rule.index,
        points: rule.points,
        counted: true,
        interactionSeq: interaction.seq,
        actorId: interaction.actorId,
        adjustmentId: null,
      });
    }
  }
  return entries;
}

/** The state rules that hold for a contact now. */
export function holdingStateRules(profile: CompiledProfile, contact: ContactFact): CompiledRule[] {
  return profile.stateRules.filter((rule) => rule.conditions.lenient({ contact }));
}

export type LimitEntry = { at: number; interactionSeq: number; counted: boolean };

const byTime = (x: LimitEntry, y: LimitEntry) => x.at - y.at || x.interactionSeq - y.interactionSeq;

/**
 * Decides which matches of one rule and one contact count under `limit: { count, perDays }`: in
 * time order, a match counts when fewer than `count` counted matches fall in the `perDays` before
 * it (inclusive of its own instant). Entries before `from` keep their status; the rest are
 * re-decided, so an interaction that arrives out of order re-decides only what follows it.
 * Returns the entries sorted, with their new `counted`.
 */
export function decideLimit(entries: LimitEntry[], limit: { count: number; perDays: number }, from: number): LimitEntry[] {
  const sorted = [...entries].sort(byTime);
  const spanMs = limit.perDays * DAY_MS;
  const counted: number[] = [];
  let head = 0;
  return sorted.map((entry) => {
    while (head < counted.length && counted[head] <= entry.at - spanMs) head++;
    const decided = entry.at >= from ? counted.length - head < limit.count : entry.counted;
    if (decided) counted.push(entry.at);
    return { ...entry, counted: decided };
  });
}
