import type { Queryable } from '../store/db';
import { contactScoreInputs } from '../store/ledger';
import type { ActiveVersion } from './engine';
import { contactFact } from './evaluate';
import { explain, scoreAt, type ExplanationLine } from './explanations';
import { DAY_MS, round2 } from './math';
import { strongestMemberOf, suggest, type Suggestion } from './suggestions';

/** The answer of GET /v1/profiles/{id}/scores/{contactId}: score, band, trend, next crossing, explanation, suggestions. */

export type ScoreAnswer = {
  contactId: string;
  profileId: string;
  version: number;
  score: number;
  band: { name: string; color: string } | null;
  lastInteractionAt: string | null;
  computedAt: string;
  trend: { delta7d: number; delta30d: number };
  next: { threshold: number; direction: 'down' | 'up'; at: string } | null;
  explanation: ExplanationLine[];
  clamp: { applied: 'min' | 'max'; bound: number; unclamped: number } | null;
  suggestions: Suggestion[];
};

export type ScoreContext = {
  /** Extra levels someone watches (subscription thresholds), besides the band edges. */
  thresholds?: readonly number[];
};

/** The score answer of a contact as of t, or undefined when the contact does not exist. */
export async function readScore(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactId: string,
  t: number,
  context: ScoreContext = {},
): Promise<ScoreAnswer | undefined> {
  const { model } = version;
  const inputs = await contactScoreInputs(db, workspaceId, version.id, contactId, t);
  if (!inputs) return undefined;
  const { contact, entries } = inputs;
  const { raw, lines } = await explain(db, workspaceId, version, entries, t);
  const score = model.report(raw);
  const before7 = scoreAt(model, entries, t - 7 * DAY_MS);
  const before30 = scoreAt(model, entries, t - 30 * DAY_MS);
  const activity = { lastAt: inputs.lastInteractionAt, lastType: inputs.lastInteractionType, last30d: inputs.interactionsLast30d };
  const levels = [...new Set([...model.bandEdges(), ...(context.thresholds ?? [])])];
  const rawLevels = new Map(levels.map((level) => [model.rawThreshold(level), level]));
  const finiteLevels = [...rawLevels.keys()].filter((level) => Number.isFinite(level));
  const next = model.nextCrossing(model.anchorFromEntries(entries, t), entries, t, finiteLevels);
  const band = model.bandView(score);
  return {
    contactId: contact.id,
    profileId: version.profileId,
    version: version.version,
    score,
    band,
    lastInteractionAt: activity.lastAt === null ? null : new Date(activity.lastAt).toISOString(),
    computedAt: new Date(t).toISOString(),
    trend: { delta7d: round2(score - before7), delta30d: round2(score - before30) },
    next: next ? { threshold: rawLevels.get(next.level)!, direction: next.direction, at: new Date(next.at).toISOString() } : null,
    explanation: lines,
    clamp: model.clampOf(raw),
    suggestions: await suggest(
      version,
      {
        score,
        previousScore: before7,
        delta: round2(score - before7),
        band: band?.name ?? null,
        daysSinceLastInteraction: activity.lastAt === null ? null : round2((t - activity.lastAt) / DAY_MS),
        lastInteractionType: activity.lastType,
        interactionsLast30d: activity.last30d,
        contact: contactFact(contact),
        contactName: contact.name,
      },
      strongestMemberOf(db, workspaceId, version, contact.id, t),
    ),
  };
}
