import { adjustmentsById } from '../store/adjustments';
import type { Queryable } from '../store/db';
import { contactScoreInputs, fetchLedger, type ExplainedEntry, type LedgerEntry } from '../store/ledger';
import type { ActiveVersion } from './engine';
import { contactFact } from './evaluate';
import { DAY_MS, EntryKind, roundParts, type ScoreModel } from './math';
import { contactRelationships } from './relationships';

/** Score answers computed from the ledger: exact at any moment, explained rule by rule. */

export type ExplanationLine = {
  rule: string;
  kind: 'interaction' | 'state' | 'adjustment';
  count: number;
  points: number;
  /** Matches within the window that did not count because of the rule's limit. */
  limited?: number;
  at?: string;
  by?: string | null;
  reason?: string;
};

export type Suggestion = { action: string; message: string };

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

export function bandJson(model: ScoreModel, score: number) {
  const band = model.bandOf(score);
  return band ? { name: band.name, color: band.color } : null;
}

export async function contactLedger(db: Queryable, workspaceId: string, versionId: number, contactId: string): Promise<LedgerEntry[]> {
  return (await fetchLedger(db, workspaceId, versionId, [{ contactId, since: null }])).get(contactId) ?? [];
}

/** Raw contribution per explanation line at t (before rounding), in the order lines are shown. */
function explanationParts(version: ActiveVersion, entries: readonly LedgerEntry[], t: number) {
  const { model, profile } = version;
  const rules = new Map<number, { count: number; limited: number; value: number }>();
  const states = new Map<number, number>();
  const adjustments: { entry: LedgerEntry; value: number }[] = [];
  for (const entry of entries) {
    if (entry.at > t) continue;
    if (entry.kind === EntryKind.state) {
      states.set(entry.rule, (states.get(entry.rule) ?? 0) + entry.points);
    } else if (entry.kind === EntryKind.adjustment) {
      if (model.contributes(entry, t)) adjustments.push({ entry, value: entry.points * model.decay(t - entry.at) });
    } else {
      const line = rules.get(entry.rule) ?? { count: 0, limited: 0, value: 0 };
      if (model.contributes(entry, t)) {
        line.count++;
        line.value += entry.points * model.decay(t - entry.at);
      } else if (!entry.counted && model.inWindow(entry.at, t)) {
        line.limited++;
      }
      rules.set(entry.rule, line);
    }
  }
  const lines: (Omit<ExplanationLine, 'points'> & { value: number; adjustmentId?: string })[] = [];
  for (const rule of profile.rules) {
    if (rule.type === 'state') {
      const held = states.get(rule.index) ?? 0;
      if (Math.abs(held) > 1e-9) lines.push({ rule: rule.name, kind: 'state', count: 1, value: held });
    } else {
      const line = rules.get(rule.index);
      if (line && (line.count > 0 || line.limited > 0)) lines.push({ rule: rule.name, kind: 'interaction', count: line.count, value: line.value, ...(line.limited > 0 ? { limited: line.limited } : {}) });
    }
  }
  for (const { entry, value } of adjustments) lines.push({ rule: 'Adjustment', kind: 'adjustment', count: 1, value, adjustmentId: entry.adjustmentId ?? undefined, at: new Date(entry.at).toISOString() });
  return lines;
}

export async function explain(db: Queryable, workspaceId: string, version: ActiveVersion, entries: readonly ExplainedEntry[], t: number): Promise<{ raw: number; lines: ExplanationLine[] }> {
  const { model, profile } = version;
  const parts = explanationParts(version, entries, t);
  const raw = parts.reduce((sum, part) => sum + part.value, 0);
  // Points profiles explain the unclamped score; relationship profiles split the shown 0–100 score in
  // proportion to each line's share of the strength.
  let shares: number[];
  let total: number;
  if (profile.kind === 'relationship') {
    total = model.report(raw);
    shares = parts.map((part) => (raw > 0 ? (part.value / raw) * total : 0));
  } else {
    total = raw;
    shares = parts.map((part) => part.value);
  }
  const rounded = roundParts(shares, total);
  // Who made an adjustment and why comes with the entries when they were read for a score; a preview looks it up.
  const known = new Map(entries.filter((entry) => entry.adjustmentId && entry.reason).map((entry) => [entry.adjustmentId!, { reason: entry.reason!, keyName: entry.keyName ?? null, keyId: entry.keyId ?? null }]));
  const missing = parts.flatMap((part) => (part.adjustmentId && !known.has(part.adjustmentId) ? [part.adjustmentId] : []));
  const looked = await adjustmentsById(db, workspaceId, missing);
  const details = new Map([...known, ...looked]);
  const lines = parts.map(({ value: _value, adjustmentId, ...line }, index) => {
    const adjustment = adjustmentId ? details.get(adjustmentId) : undefined;
    return {
      ...line,
      points: rounded[index]!,
      ...(adjustment ? { rule: `Adjustment: ${adjustment.reason}`, by: adjustment.keyName ?? adjustment.keyId, reason: adjustment.reason } : {}),
    };
  });
  return { raw, lines };
}

/** Reported score at t from the ledger. */
export function scoreAt(model: ScoreModel, entries: readonly LedgerEntry[], t: number): number {
  return model.report(model.rawAt(entries, t));
}

export type ScoreContext = {
  /** Extra levels someone watches (subscription thresholds), besides the band edges. */
  thresholds?: readonly number[];
};

/** The score answer of a contact as of t, or undefined when the contact does not exist. */
export async function readScore(db: Queryable, workspaceId: string, version: ActiveVersion, contactId: string, t: number, context: ScoreContext = {}): Promise<ScoreAnswer | undefined> {
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
  const band = bandJson(model, score);
  return {
    contactId: contact.id,
    profileId: version.profileId,
    version: version.version,
    score,
    band,
    lastInteractionAt: activity.lastAt === null ? null : new Date(activity.lastAt).toISOString(),
    computedAt: new Date(t).toISOString(),
    trend: { delta7d: round(score - before7), delta30d: round(score - before30) },
    next: next ? { threshold: rawLevels.get(next.level)!, direction: next.direction, at: new Date(next.at).toISOString() } : null,
    explanation: lines,
    clamp: model.clampOf(raw),
    suggestions: await suggest(
      version,
      {
        score,
        previousScore: before7,
        delta: round(score - before7),
        band: band?.name ?? null,
        daysSinceLastInteraction: activity.lastAt === null ? null : round((t - activity.lastAt) / DAY_MS),
        lastInteractionType: activity.lastType,
        interactionsLast30d: activity.last30d,
        contact: contactFact(contact),
        contactName: contact.name,
      },
      strongestMemberOf(db, workspaceId, version, contact.id, t),
    ),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

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
export async function suggest(version: Pick<ActiveVersion, 'profile'>, facts: SuggestionFacts, strongestMember: () => Promise<string | null>): Promise<Suggestion[]> {
  const matched = version.profile.suggestions.filter((suggestion) => suggestion.conditions.lenient(facts as unknown as Record<string, unknown>));
  const member = matched.some((suggestion) => suggestion.message.includes('{strongestMember}')) ? await strongestMember() : null;
  const values: Record<string, string> = {
    'contact.name': facts.contact.id,
    'contact.id': facts.contact.id,
    score: String(facts.score),
    band: facts.band ?? '',
    strongestMember: member ?? 'the team member who knows them best',
  };
  if (facts.contactName) values['contact.name'] = facts.contactName;
  return matched.map((suggestion) => ({ action: suggestion.action, message: suggestion.message.replace(/\{(contact\.name|contact\.id|score|band|strongestMember)\}/g, (_all, key: string) => values[key]!) }));
}

/** The name (or id) of the team member with the strongest relationship to the contact under a version. */
export function strongestMemberOf(db: Queryable, workspaceId: string, version: ActiveVersion, contactId: string, t: number): () => Promise<string | null> {
  return async () => {
    const ranked = await contactRelationships(db, workspaceId, version, contactId, t);
    const best = ranked.find((member) => member.strength > 0);
    return best ? (best.name ?? best.actorId) : null;
  };
}

export type HistoryPoint = { at: string; score: number; band: string | null };

/** The score at each step from `from` to `to` (inclusive), recomputed from the ledger. */
export function history(model: ScoreModel, entries: readonly LedgerEntry[], from: number, to: number, stepMs: number): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (let t = from; t <= to; t += stepMs) {
    const score = scoreAt(model, entries, t);
    points.push({ at: new Date(t).toISOString(), score, band: model.bandOf(score)?.name ?? null });
  }
  return points;
}
