import { adjustmentsById } from '../store/adjustments';
import type { Queryable } from '../store/db';
import type { ExplainedEntry } from '../store/ledger';
import { EntryKind, type LedgerEntry } from '../model/ledger';
import type { ActiveVersion } from './engine';
import { roundParts, type ScoreModel } from './math';

/** Scores computed from the ledger at any moment, and explained rule by rule. */

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
      if (line && (line.count > 0 || line.limited > 0))
        lines.push({
          rule: rule.name,
          kind: 'interaction',
          count: line.count,
          value: line.value,
          ...(line.limited > 0 ? { limited: line.limited } : {}),
        });
    }
  }
  for (const { entry, value } of adjustments)
    lines.push({
      rule: 'Adjustment',
      kind: 'adjustment',
      count: 1,
      value,
      adjustmentId: entry.adjustmentId ?? undefined,
      at: new Date(entry.at).toISOString(),
    });
  return lines;
}

export async function explain(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  entries: readonly ExplainedEntry[],
  t: number,
): Promise<{ raw: number; lines: ExplanationLine[] }> {
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
  const known = new Map(
    entries
      .filter((entry) => entry.adjustmentId && entry.reason)
      .map((entry) => [
        entry.adjustmentId!,
        { reason: entry.reason!, keyName: entry.keyName ?? null, keyId: entry.keyId ?? null, txid: entry.order ?? 0 },
      ]),
  );
  const missing = parts.flatMap((part) => (part.adjustmentId && !known.has(part.adjustmentId) ? [part.adjustmentId] : []));
  const looked = await adjustmentsById(db, workspaceId, missing);
  const details = new Map<string, { reason: string; keyName: string | null; keyId: string | null; txid: number }>([...known, ...looked]);
  const lines = parts.map(({ value: _value, adjustmentId, ...line }, index) => {
    const adjustment = adjustmentId ? details.get(adjustmentId) : undefined;
    return {
      line: {
        ...line,
        points: rounded[index],
        ...(adjustment
          ? { rule: `Adjustment: ${adjustment.reason}`, by: adjustment.keyName ?? adjustment.keyId, reason: adjustment.reason }
          : {}),
      },
      // Adjustments (the last lines) in time order, those of one moment in the order they were made.
      order: adjustmentId ? [Date.parse(line.at!), adjustment?.txid ?? 0] : null,
    };
  });
  const rules = lines.filter((item) => item.order === null);
  const adjustments = lines.filter((item) => item.order !== null).sort((x, y) => x.order![0] - y.order![0] || x.order![1] - y.order![1]);
  return { raw, lines: [...rules, ...adjustments].map((item) => item.line) };
}

/** Reported score at t from the ledger. */
export function scoreAt(model: ScoreModel, entries: readonly LedgerEntry[], t: number): number {
  return model.report(model.rawAt(entries, t));
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
