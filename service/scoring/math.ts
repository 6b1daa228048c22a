import type { Anchor, SortKey } from '../model/anchor';
import { EntryKind, type Entry } from '../model/ledger';
import type { Band, CompiledProfile } from './profile';

/**
 * Scores as functions of time (see docs/scoring-math.md).
 *
 * A contact's ledger holds entries (t, p): contributions from interaction rules and adjustments,
 * which decay by 2^(−age/halfLife) and are worth nothing once older than the window, and state
 * deltas (a state rule starting or stopping to hold), which do not decay. The raw score at t is
 *     raw(t) = s(t) + Σ p · 2^(−(t − tᵢ)/h)   over contributions with tᵢ ≤ t < tᵢ + W
 * Between events the decayed part is one exponential, so a contact's score is kept as an anchor
 * (s, A, τ): raw(t) = s + A · 2^(−(t − τ)/h), valid until `staleAt` (the next window expiry or
 * future-dated entry). Time is in milliseconds throughout.
 */

export const DAY_MS = 86_400_000;

/** How far back a score answer's trend looks (delta30d). */
export const TREND_MS = 30 * DAY_MS;

export function round2(value: number): number {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? 0 : rounded;
}

export type LevelCrossing = { at: number; level: number; direction: 'down' | 'up' };

/** An entry with the interaction that earned it (what evidence counts). */
export type EvidenceEntry = Entry & { interactionSeq?: number | null };

/** A moment at which a contact gains or loses its score through time alone. */
export type QualificationChange = { at: number; qualified: boolean };

export class ScoreModel {
  readonly halfLifeMs: number | null;
  readonly windowMs: number | null;

  constructor(readonly profile: CompiledProfile) {
    this.halfLifeMs = profile.halfLifeDays === null ? null : profile.halfLifeDays * DAY_MS;
    this.windowMs = profile.windowDays === null ? null : profile.windowDays * DAY_MS;
  }

  get decays(): boolean {
    return this.halfLifeMs !== null;
  }

  /** The longest span a limited rule looks back over. */
  get limitSpanMs(): number {
    return Math.max(0, ...this.profile.interactionRules.map((rule) => (rule.limit ? rule.limit.perDays * DAY_MS : 0)));
  }

  /**
   * From when (exclusive) an anchor at τ keeps the entries it was made from: with a window, what is in
   * it plus what the trend looks back over (so a score answer reads nothing else); without one, what
   * a limit may still need (a score answer then reads the contact's history).
   */
  keptFrom(tau: number): number {
    if (this.windowMs === null) return tau - this.limitSpanMs;
    return tau - Math.max(this.windowMs + TREND_MS, this.limitSpanMs);
  }

  /**
   * The last moment up to τ at which the decayed part changed other than by decay: a contribution
   * made, or one leaving the window (null: none). A period that starts after it needs no correction.
   */
  lastChange(entries: readonly Entry[], tau: number): number | null {
    let last = -Infinity;
    for (const entry of entries) {
      if (entry.kind === EntryKind.state || !entry.counted || entry.at > tau) continue;
      if (entry.at > last) last = entry.at;
      if (this.windowMs !== null && entry.at + this.windowMs <= tau && entry.at + this.windowMs > last) last = entry.at + this.windowMs;
    }
    return last === -Infinity ? null : last;
  }

  /** The entries an anchor at τ keeps, in time order. */
  keep<T extends Entry>(entries: readonly T[], tau: number): T[] {
    const from = this.keptFrom(tau);
    return entries.filter((entry) => entry.kind !== EntryKind.state && entry.at > from).sort((x, y) => x.at - y.at);
  }

  decay(ageMs: number): number {
    return this.halfLifeMs === null ? 1 : 2 ** (-ageMs / this.halfLifeMs);
  }

  /** Whether a contribution made at `at` still counts at `t`. */
  inWindow(at: number, t: number): boolean {
    return at <= t && (this.windowMs === null || t - at < this.windowMs);
  }

  contributes(entry: Entry, t: number): boolean {
    return entry.kind !== EntryKind.state && entry.counted && this.inWindow(entry.at, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Minimum evidence (the profile's minInteractions)

  /** Matching interactions in the window a contact needs to have a score (0: every contact has one). */
  get minInteractions(): number {
    return this.profile.minInteractions;
  }

  /** Whether `count` matching interactions are enough for a score. */
  qualifies(count: number): boolean {
    return count >= this.profile.minInteractions;
  }

  /**
   * The raw value "no score" stands for where a score is compared with one (crossings, trends): the
   * range minimum, 0 without a range (docs/crossings.md).
   */
  get noScoreRaw(): number {
    return this.profile.range?.min ?? 0;
  }

  /**
   * The evidence at t: distinct interactions that earned an entry from an interaction rule — counted or
   * stopped by a limit (they matched) — within the window at t (every one up to t without a window).
   * An interaction matching several rules counts once.
   */
  evidence(entries: readonly EvidenceEntry[], t: number): number {
    const seen = new Set<number>();
    for (const entry of entries)
      if (entry.kind === EntryKind.interaction && entry.interactionSeq != null && this.inWindow(entry.at, t))
        seen.add(entry.interactionSeq);
    return seen.size;
  }

  /** When time alone changes the evidence after `from`: matches coming due (+1) and leaving the window (−1), in time order. */
  private evidenceEvents(entries: readonly EvidenceEntry[], from: number): { at: number; delta: number }[] {
    const matched = new Map<number, number>();
    for (const entry of entries)
      if (entry.kind === EntryKind.interaction && entry.interactionSeq != null) matched.set(entry.interactionSeq, entry.at);
    const events: { at: number; delta: number }[] = [];
    for (const at of matched.values()) {
      if (at > from) events.push({ at, delta: 1 });
      if (this.windowMs !== null && at + this.windowMs > from) events.push({ at: at + this.windowMs, delta: -1 });
    }
    return events.sort((x, y) => x.at - y.at);
  }

  /**
   * The moments in (from, to] at which time alone gives a contact its score or takes it away, given
   * its evidence `count` at `from` (entries must hold every match that can come due or leave the
   * window after `from`, as an anchor's kept entries do). Empty without minInteractions.
   */
  qualificationChanges(entries: readonly EvidenceEntry[], from: number, to: number, count: number): QualificationChange[] {
    if (this.profile.minInteractions === 0) return [];
    const events = this.evidenceEvents(entries, from);
    const changes: QualificationChange[] = [];
    let qualified = this.qualifies(count);
    for (let index = 0; index < events.length && events[index].at <= to;) {
      const at = events[index].at;
      for (; index < events.length && events[index].at === at; index++) count += events[index].delta;
      if (this.qualifies(count) !== qualified) {
        qualified = !qualified;
        changes.push({ at, qualified });
      }
    }
    return changes;
  }

  /** The next moment after `from` at which time alone changes whether the contact has a score (null: never). */
  nextQualificationChange(entries: readonly EvidenceEntry[], from: number, count: number): number | null {
    return this.qualificationChanges(entries, from, Infinity, count)[0]?.at ?? null;
  }

  /** The last moment up to τ at which the evidence changed (a match made or leaving the window); null: none. */
  lastEvidenceChange(entries: readonly EvidenceEntry[], tau: number): number | null {
    let last = -Infinity;
    for (const entry of entries) {
      if (entry.kind !== EntryKind.interaction || entry.at > tau) continue;
      if (entry.at > last) last = entry.at;
      if (this.windowMs !== null && entry.at + this.windowMs <= tau && entry.at + this.windowMs > last) last = entry.at + this.windowMs;
    }
    return last === -Infinity ? null : last;
  }

  /** The score before rounding, clamped to the range (relationship: the saturation curve). */
  transform(raw: number): number {
    const { range } = this.profile;
    const value = this.profile.kind === 'relationship' ? 100 * (1 - Math.exp(-raw / this.profile.saturation)) : raw;
    if (!range) return value;
    return Math.min(range.max, Math.max(range.min, value));
  }

  /** What the API shows. */
  report(raw: number): number {
    return round2(this.transform(raw));
  }

  clampOf(raw: number): { applied: 'min' | 'max'; bound: number; unclamped: number } | null {
    const { range } = this.profile;
    if (!range || this.profile.kind === 'relationship') return null;
    if (raw < range.min) return { applied: 'min', bound: range.min, unclamped: round2(raw) };
    if (raw > range.max) return { applied: 'max', bound: range.max, unclamped: round2(raw) };
    return null;
  }

  /** Bands: min inclusive, max exclusive, except the top band, which includes the maximum. */
  bandOf(score: number): Band | null {
    const { bands } = this.profile;
    for (let index = 0; index < bands.length; index++) {
      const band = bands[index];
      const top = index === bands.length - 1;
      if (score >= band.min && (score < band.max || (top && score <= band.max))) return band;
    }
    return null;
  }

  /** The band of a shown score as answers carry it: name and colour. */
  bandView(score: number): { name: string; color: string } | null {
    const band = this.bandOf(score);
    return band ? { name: band.name, color: band.color } : null;
  }

  /**
   * The raw value from which the shown (2-decimal) score is at least `level`:
   * shown ≥ level ⇔ raw ≥ rawThreshold(level). ±Infinity when every or no raw value qualifies.
   * Filters, bands and crossings all use it, so they agree with the scores the API shows.
   */
  rawThreshold(level: number): number {
    const cents = Math.ceil(level * 100 - 1e-7);
    const value = cents / 100 - 0.005;
    const { range } = this.profile;
    let estimate: number;
    if (this.profile.kind === 'relationship') {
      if (value <= 0) return -Infinity;
      if (value >= 100) return Infinity;
      estimate = -this.profile.saturation * Math.log(1 - value / 100);
    } else {
      if (range && value <= range.min) return -Infinity;
      if (range && value > range.max) return Infinity;
      estimate = value;
    }
    // Settle on the exact double where the shown score reaches the level, so that thresholds,
    // bands and shown scores never disagree, even at the last bit.
    const shown = cents / 100;
    const reaches = (raw: number) => this.report(raw) >= shown;
    for (let step = 0; step < 64 && !reaches(estimate); step++) estimate = nextUp(estimate);
    for (let step = 0; step < 64 && reaches(nextDown(estimate)); step++) estimate = nextDown(estimate);
    return estimate;
  }

  /** shown ≤ level ⇔ raw < rawAtMostBound(level). */
  rawAtMostBound(level: number): number {
    return this.rawThreshold(Math.floor(level * 100 + 1e-7) / 100 + 0.01);
  }

  /** Levels whose crossing changes the band: every band's lower edge but the lowest. */
  bandEdges(): number[] {
    return this.profile.bands.slice(1).map((band) => band.min);
  }

  // ---------------------------------------------------------------------------------------------
  // From the ledger

  rawAt(entries: readonly Entry[], t: number): number {
    let raw = 0;
    for (const entry of entries) {
      if (entry.kind === EntryKind.state) {
        if (entry.at <= t) raw += entry.points;
      } else if (this.contributes(entry, t)) {
        raw += entry.points * this.decay(t - entry.at);
      }
    }
    return raw;
  }

  /** The anchor at `now` computed from every entry (what a publish writes). */
  anchorFromEntries(entries: readonly Entry[], now: number): Anchor {
    let s = 0;
    let a = 0;
    let staleAt: number | null = null;
    const later = (at: number) => {
      staleAt = staleAt === null ? at : Math.min(staleAt, at);
    };
    for (const entry of entries) {
      if (entry.at > now) {
        if (entry.kind === EntryKind.state || entry.counted) later(entry.at);
        continue;
      }
      if (entry.kind === EntryKind.state) {
        s += entry.points;
      } else if (this.contributes(entry, now)) {
        a += entry.points * this.decay(now - entry.at);
        if (this.windowMs !== null) later(entry.at + this.windowMs);
      }
    }
    return { s, a, tau: now, staleAt };
  }

  rawFromAnchor(anchor: Anchor, t: number): number {
    return anchor.s + anchor.a * this.decay(t - anchor.tau);
  }

  /**
   * The anchor moved to `now`. When it is stale, `entries` must hold every entry after
   * τ − W (or after τ without a window): expired contributions drop out (the decayed part is then
   * recomputed from the entries in the window, which leaves no rounding residue) and future-dated
   * ones that are now due come in. `onPath` sees the score's path from τ to now piece by piece.
   */
  advance(anchor: Anchor, now: number, entries: readonly Entry[] = [], onPath?: PathVisitor): Anchor {
    if (now <= anchor.tau) return anchor;
    const stale = anchor.staleAt !== null && anchor.staleAt <= now;
    if (!stale) {
      onPath?.segment(anchor.tau, now, anchor.s, anchor.a);
      return { ...anchor, a: anchor.a * this.decay(now - anchor.tau), tau: now };
    }
    // Walk the events between τ and now: expiries of what the anchor held, arrivals of what was future-dated.
    const events: { at: number; ds: number; da: (aAt: number) => number }[] = [];
    for (const entry of entries) {
      if (entry.kind === EntryKind.state) {
        if (entry.at > anchor.tau && entry.at <= now) events.push({ at: entry.at, ds: entry.points, da: () => 0 });
        continue;
      }
      if (!entry.counted) continue;
      const heldByAnchor = entry.at <= anchor.tau && this.inWindow(entry.at, anchor.tau);
      if (!heldByAnchor && entry.at > anchor.tau && entry.at <= now) events.push({ at: entry.at, ds: 0, da: () => entry.points });
      if (this.windowMs !== null) {
        const expiry = entry.at + this.windowMs;
        if ((heldByAnchor || entry.at > anchor.tau) && expiry > anchor.tau && expiry <= now) {
          events.push({ at: expiry, ds: 0, da: () => -entry.points * this.decay(this.windowMs!) });
        }
      }
    }
    events.sort((x, y) => x.at - y.at);
    let s = anchor.s;
    let a = anchor.a;
    let t = anchor.tau;
    for (let index = 0; index < events.length;) {
      const at = events[index].at;
      onPath?.segment(t, at, s, a);
      a *= this.decay(at - t);
      t = at;
      const before = s + a;
      for (; index < events.length && events[index].at === at; index++) {
        s += events[index].ds;
        a += events[index].da(a);
      }
      onPath?.jump(at, before, s + a);
    }
    onPath?.segment(t, now, s, a);
    a *= this.decay(now - t);
    if (this.windowMs !== null) {
      // Recompute the decayed part from the window's entries: exact, whatever was added and removed.
      // (Its s is partial — only recent state entries were read — so s comes from the walk above.)
      const fresh = this.anchorFromEntries(entries, now);
      return { s, a: fresh.a, tau: now, staleAt: fresh.staleAt };
    }
    let staleAt: number | null = null;
    for (const entry of entries)
      if (entry.at > now && (entry.kind === EntryKind.state || entry.counted))
        staleAt = staleAt === null ? entry.at : Math.min(staleAt, entry.at);
    return { s, a, tau: now, staleAt };
  }

  /**
   * Adds changes made at `now` to an anchor already at `now`: new entries that count, and re-decided
   * matches (with the points they gain or lose).
   */
  applyChanges(anchor: Anchor, now: number, changes: readonly Entry[]): Anchor {
    let { s, a, staleAt } = anchor;
    const later = (at: number) => {
      staleAt = staleAt === null ? at : Math.min(staleAt, at);
    };
    for (const change of changes) {
      if (change.at > now) {
        if (change.kind === EntryKind.state || change.counted) later(change.at);
        continue;
      }
      if (change.kind === EntryKind.state) {
        s += change.points;
      } else if (change.counted && this.inWindow(change.at, now)) {
        a += change.points * this.decay(now - change.at);
        if (this.windowMs !== null && change.points !== 0) later(change.at + this.windowMs);
      }
    }
    return { s, a, tau: now, staleAt };
  }

  /**
   * Keys such that, among contacts with the same state part s, (sign, key) increases with the score
   * at every time: with decay, D(t) = sign · 2^(k − t/h) with k = log₂|A| + τ/h, so key = sign·k;
   * without decay, D is constant and key = A.
   */
  sortKeyOf(anchor: Anchor): SortKey {
    const a = anchor.a;
    const sign = a > 0 ? 1 : a < 0 ? -1 : 0;
    if (this.halfLifeMs === null) return { sign, key: a };
    if (sign === 0) return { sign, key: 0 };
    const k = Math.log2(Math.abs(a)) + anchor.tau / this.halfLifeMs;
    return { sign, key: sign * k };
  }

  /** Time in half-lives (what keys are compared with); 0 without decay. */
  timeKey(t: number): number {
    return this.halfLifeMs === null ? 0 : t / this.halfLifeMs;
  }

  /**
   * The first time after `from` at which the raw score crosses one of `levels` (raw values) through
   * time alone — decay and window expiries, no new events — or null. `start` is the anchor at `from`.
   */
  nextCrossing(start: Anchor, entries: readonly Entry[], from: number, levels: readonly number[]): LevelCrossing | null {
    if (levels.length === 0) return null;
    // Future events: expiries of what counts now, arrivals of future-dated entries.
    const events: { at: number; ds: number; da: number }[] = [];
    for (const entry of entries) {
      if (entry.at > from) {
        if (entry.kind === EntryKind.state) events.push({ at: entry.at, ds: entry.points, da: 0 });
        else if (entry.counted) {
          events.push({ at: entry.at, ds: 0, da: entry.points });
          if (this.windowMs !== null) events.push({ at: entry.at + this.windowMs, ds: 0, da: -entry.points * this.decay(this.windowMs) });
        }
      } else if (entry.kind !== EntryKind.state && this.windowMs !== null && this.contributes(entry, from)) {
        events.push({ at: entry.at + this.windowMs, ds: 0, da: -entry.points * this.decay(this.windowMs) });
      }
    }
    events.sort((x, y) => x.at - y.at);
    let s = start.s;
    let a = start.a;
    let t = from;
    const earliest = (candidate: LevelCrossing | null, found: LevelCrossing | null) =>
      found && (!candidate || found.at < candidate.at) ? found : candidate;
    for (let index = 0; index <= events.length;) {
      const until = index < events.length ? events[index].at : Infinity;
      let found: LevelCrossing | null = null;
      for (const level of levels) found = earliest(found, this.segmentCrossing(t, until, s, a, level));
      if (found) return found;
      if (index === events.length) return null;
      a *= this.decay(until - t);
      t = until;
      const before = s + a;
      for (; index < events.length && events[index].at === until; index++) {
        s += events[index].ds;
        a += events[index].da;
      }
      for (const level of levels) found = earliest(found, jumpCrossing(until, before, s + a, level));
      if (found) return found;
    }
    return null;
  }

  /**
   * When the scheduler must next look at this anchor: when it goes stale, or earlier if decay alone
   * carries the score across one of the raw `levels` before that. null = never.
   */
  dueAt(anchor: Anchor, levels: readonly number[]): number | null {
    const until = anchor.staleAt ?? Infinity;
    let due = until;
    for (const level of levels) {
      const crossing = this.segmentCrossing(anchor.tau, until, anchor.s, anchor.a, level);
      if (crossing && crossing.at < due) due = crossing.at;
    }
    return Number.isFinite(due) ? due : null;
  }

  /** Where a decay segment starting at t0 with raw s + a crosses `level` before t1 (exclusive of t0). */
  segmentCrossing(t0: number, t1: number, s: number, a: number, level: number): LevelCrossing | null {
    if (this.halfLifeMs === null || a === 0 || !Number.isFinite(level)) return null;
    const start = s + a;
    if (a > 0 && start >= level && s < level) {
      const at = Math.ceil(t0 + this.halfLifeMs * Math.log2(a / (level - s)));
      return at > t0 && at < t1 ? { at, level, direction: 'down' } : null;
    }
    if (a < 0 && start < level && s >= level && s !== level) {
      const at = Math.ceil(t0 + this.halfLifeMs * Math.log2(a / (level - s)));
      return at > t0 && at < t1 ? { at, level, direction: 'up' } : null;
    }
    return null;
  }
}

const bits = new DataView(new ArrayBuffer(8));

/** The next representable double above (IEEE 754 neighbour). */
export function nextUp(value: number): number {
  if (Number.isNaN(value) || value === Infinity) return value;
  if (value === 0) return Number.MIN_VALUE;
  bits.setFloat64(0, value);
  const raw = bits.getBigInt64(0);
  bits.setBigInt64(0, value > 0 ? raw + 1n : raw - 1n);
  return bits.getFloat64(0);
}

export function nextDown(value: number): number {
  return -nextUp(-value);
}

export type PathVisitor = {
  /** The raw score runs s + a·2^(−(t − from)/h) from `from` to `to`. */
  segment(from: number, to: number, s: number, a: number): void;
  /** Events at `at` move the raw score from `before` to `after`. */
  jump(at: number, before: number, after: number): void;
};

function jumpCrossing(at: number, before: number, after: number, level: number): LevelCrossing | null {
  if (before >= level && after < level) return { at, level, direction: 'down' };
  if (before < level && after >= level) return { at, level, direction: 'up' };
  return null;
}

/**
 * Splits `total` into parts rounded to 2 decimals that add up exactly to round2(total)
 * (largest remainder), so an explanation sums to the score it explains.
 */
export function roundParts(values: readonly number[], total: number): number[] {
  const target = Math.round(total * 100);
  const scaled = values.map((value) => value * 100);
  const floors = scaled.map((value) => Math.floor(value));
  let remainder = target - floors.reduce((sum, value) => sum + value, 0);
  const order = scaled.map((value, index) => ({ index, fraction: value - floors[index] })).sort((x, y) => y.fraction - x.fraction);
  const result = [...floors];
  for (let step = 0; remainder !== 0 && order.length > 0; step++) {
    const { index } = order[step % order.length];
    const change = remainder > 0 ? 1 : -1;
    result[index] += change;
    remainder -= change;
  }
  return result.map((cents) => round2(cents / 100));
}
