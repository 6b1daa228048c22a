import type { Queryable } from '../store/db';
import type { ActiveVersion } from './engine';
import type { contactFact } from './evaluate';
import { contactRelationships } from './relationships';

/** Suggested next steps: the profile's suggestion rules over a score and the contact's activity. */

export type Suggestion = { action: string; message: string };

export type SuggestionFacts = {
  score: number;
  previousScore: number | null;
  delta: number | null;
  band: string | null;
  daysSinceLastInteraction: number | null;
  lastInteractionType: string | null;
  interactionsLast30d: number;
  contact: ReturnType<typeof contactFact>;
  /** For message placeholders only (rules read the contact fact). */
  contactName?: string | null;
};

/**
 * The profile's suggestion rules that hold for these facts, in the order they are written. Messages
 * may name `{contact.name}`, `{contact.id}`, `{score}`, `{band}` and `{strongestMember}` (the team
 * member who knows the contact best; looked up only when a message asks for it).
 */
export async function suggest(
  version: Pick<ActiveVersion, 'profile'>,
  facts: SuggestionFacts,
  strongestMember: () => Promise<string | null>,
): Promise<Suggestion[]> {
  const matched = version.profile.suggestions.filter((suggestion) =>
    suggestion.conditions.lenient(facts as unknown as Record<string, unknown>),
  );
  const member = matched.some((suggestion) => suggestion.message.includes('{strongestMember}')) ? await strongestMember() : null;
  const values: Record<string, string> = {
    'contact.name': facts.contact.id,
    'contact.id': facts.contact.id,
    score: String(facts.score),
    band: facts.band ?? '',
    strongestMember: member ?? 'the team member who knows them best',
  };
  if (facts.contactName) values['contact.name'] = facts.contactName;
  return matched.map((suggestion) => ({
    action: suggestion.action,
    message: suggestion.message.replace(/\{(contact\.name|contact\.id|score|band|strongestMember)\}/g, (_all, key: string) => values[key]),
  }));
}

/** The name (or id) of the team member with the strongest relationship to the contact under a version. */
export function strongestMemberOf(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactId: string,
  t: number,
): () => Promise<string | null> {
  return async () => {
    const ranked = await contactRelationships(db, workspaceId, version, contactId, t);
    const best = ranked.find((member) => member.strength > 0);
    return best ? (best.name ?? best.actorId) : null;
  };
}
