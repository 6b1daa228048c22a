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

/** Under a profile with minInteractions: how many matching interactions the contact has in the window, and how many a score needs. */
export type Evidence = { interactions: number; required: number };

export type ScoreAnswer = {
  contactId: string;
  profileId: string;
  version: number;
  /** null: too few interactions for a score (the profile's minInteractions; see `reason`). */
  score: number | null;
  /** Why there is no score, e.g. "fewer than 2 interactions" (only when score is null). */
  reason?: string;
  /** Only under a profile with minInteractions. */
  evidence?: Evidence;
  band: { name: string; color: string } | null;
  lastInteractionAt: string | null;
  computedAt: string;
  /** null without a score now; a moment without a score then compares with the range minimum. */
  trend: { delta7d: number | null; delta30d: number | null };
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

/** Why a contact has no score under a profile with minInteractions. */
export const noScoreReason = (required: number) => `fewer than ${required} interaction${required === 1 ? '' : 's'}`;

/** A score as answers show it: null with the reason below the profile's minInteractions; evidence under one. */
export type ShownScore = {
  score: number | null;
  band: { name: string; color: string } | null;
  reason?: string;
  evidence?: Evidence;
};

/** The shown score of a raw value with `count` matching interactions (count unused without minInteractions). */
export function shownScore(version: Pick<ActiveVersion, 'model'>, raw: number, count: number): ShownScore {
  const { model } = version;
  if (model.minInteractions === 0) {
    const score = model.report(raw);
    return { score, band: model.bandView(score) };
  }
  const evidence = { interactions: count, required: model.minInteractions };
  if (!model.qualifies(count)) return { score: null, band: null, reason: noScoreReason(model.minInteractions), evidence };
  const score = model.report(raw);
  return { score, band: model.bandView(score), evidence };
}

/**
 * A contact's score under a version at t as answers show it (a contact's page, relationships): null
 * below the profile's minInteractions. undefined when the contact does not exist; a contact not
 * scored yet shows the score of nothing.
 */
export async function currentScore(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactId: string,
  t: number,
): Promise<ShownScore | undefined> {
  const inputs = await contactScoreInputs(db, workspaceId, version.id, contactId, t);
  if (!inputs) return undefined;
  const entries = await answerEntries(db, workspaceId, version, inputs, t);
  return shownScore(version, version.model.rawAt(entries, t), version.model.minInteractions === 0 ? 0 : version.model.evidence(entries, t));
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
  const activity = { lastAt: inputs.lastInteractionAt, lastType: inputs.lastInteractionType, last30d: inputs.interactionsLast30d };
  const counting = model.minInteractions > 0;
  const count = counting ? model.evidence(entries, t) : 0;
  const shown = shownScore(version, raw, count);
  if (shown.score === null)
    // Too few interactions: no score, so no band, trend, next crossing or suggestion; the explanation shows what it has.
    return {
      contactId: contact.id,
      profileId: version.profileId,
      version: version.version,
      ...shown,
      lastInteractionAt: activity.lastAt === null ? null : new Date(activity.lastAt).toISOString(),
      computedAt: new Date(t).toISOString(),
      trend: { delta7d: null, delta30d: null },
      next: null,
      explanation: lines,
      clamp: null,
      suggestions: [],
    };
  const score = shown.score;
  // A moment without a score compares with "no score", the range minimum (as crossings do).
  const scoreThen = (then: number) =>
    counting && !model.qualifies(model.evidence(entries, then)) ? model.report(model.noScoreRaw) : scoreAt(model, entries, then);
  const before7 = scoreThen(t - 7 * DAY_MS);
  const before30 = scoreThen(t - TREND_MS);
  const levels = [...new Set([...model.bandEdges(), ...(context.thresholds ?? [])])];
  const rawLevels = new Map(levels.map((level) => [model.rawThreshold(level), level]));
  const finiteLevels = [...rawLevels.keys()].filter((level) => Number.isFinite(level));
  let next = model.nextCrossing(model.anchorFromEntries(entries, t), entries, t, finiteLevels);
  // A score that time takes away (matches leaving the window) crosses nothing after that.
  const leaves = counting ? model.nextQualificationChange(entries, t, count) : null;
  if (next && leaves !== null && leaves <= next.at) next = null;
  const band = shown.band;
  return {
    contactId: contact.id,
    profileId: version.profileId,
    version: version.version,
    score,
    ...(shown.evidence ? { evidence: shown.evidence } : {}),
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
