import type { Queryable } from '../store/db';
import { EntryKind } from '../model/ledger';
import { contactScoreInputs, type ExplainedEntry, type ScoreInputs } from '../store/ledger';
import type { ActiveVersion } from './engine';
import { contactFact } from './evaluate';
import { explain, scoreAt, type ExplanationLine } from './explanations';
import { contactEntries } from './history';
import { DAY_MS, round2, TREND_MS } from './math';
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

/**
 * The entries a score answer at t computes with. With a window, the anchor keeps every entry that
 * can still count at t or within the trend's 30 days before it (ScoreModel.keptFrom), so nothing else
 * is read; state changes and adjustments (few) come with who made them. Without a window, or for a
 * moment before the anchor (asOf in the past), the contact's history is read instead.
 */
async function answerEntries(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  inputs: ScoreInputs,
  t: number,
): Promise<ExplainedEntry[]> {
  const { model } = version;
  const score = inputs.score;
  if (score && score.recent && model.windowMs !== null && t >= score.anchor.tau) {
    const kept = score.recent.filter((entry) => entry.kind === EntryKind.interaction && entry.at <= t);
    // Both already in time order: only a ledger (state changes, adjustments) needs merging in.
    return inputs.ledger.length === 0 ? kept : [...kept, ...inputs.ledger].sort((x, y) => x.at - y.at);
  }
  const derived = await contactEntries(db, workspaceId, version, inputs.contact.id);
  const reasons = new Map(inputs.ledger.filter((entry) => entry.adjustmentId).map((entry) => [entry.adjustmentId!, entry]));
  return derived
    .filter((entry) => entry.at <= t)
    .map((entry) => {
      const explained = entry.adjustmentId ? reasons.get(entry.adjustmentId) : undefined;
      return explained ? { ...entry, reason: explained.reason, keyName: explained.keyName, keyId: explained.keyId } : entry;
    });
}

/** A contact's raw score under a version at t (undefined when the contact does not exist). */
export async function rawScore(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactId: string,
  t: number,
): Promise<number | undefined> {
  const inputs = await contactScoreInputs(db, workspaceId, version.id, contactId, t);
  return inputs && version.model.rawAt(await answerEntries(db, workspaceId, version, inputs, t), t);
}

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
  const { contact } = inputs;
  const entries = await answerEntries(db, workspaceId, version, inputs, t);
  const { raw, lines } = await explain(db, workspaceId, version, entries, t);
  const score = model.report(raw);
  const before7 = scoreAt(model, entries, t - 7 * DAY_MS);
  const before30 = scoreAt(model, entries, t - TREND_MS);
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
