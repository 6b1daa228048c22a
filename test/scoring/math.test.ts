import fc from 'fast-check';
import { EntryKind, type Entry } from '../../service/model/ledger';
import { DAY_MS, ScoreModel, roundParts } from '../../service/scoring/math';
import { compileProfile, type ProfileDocument } from '../../service/scoring/profile';

const rule = (name: string, points: number) => ({
  name,
  conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'equal', value: name }] },
  event: { type: 'points' as const, params: { points } },
});

function model(extra: Partial<ProfileDocument> = {}) {
  return new ScoreModel(compileProfile({ name: 'Test', kind: 'points', rules: [rule('a', 10)], ...extra }));
}

const T0 = Date.UTC(2026, 0, 1);
const entry = (day: number, points: number, kind: Entry['kind'] = EntryKind.interaction): Entry => ({
  at: T0 + day * DAY_MS,
  kind,
  rule: 0,
  points,
  counted: true,
});

describe('scores from the ledger', () => {
  it('decays by half every half-life and drops contributions at the window', () => {
    const m = model({ decay: { halfLifeDays: 10 }, window: { days: 25 } });
    const entries = [entry(0, 16), entry(10, 8)];
    expect(m.rawAt(entries, T0)).toBe(16);
    expect(m.rawAt(entries, T0 + 10 * DAY_MS)).toBe(16); // 8 + 8
    expect(m.rawAt(entries, T0 + 20 * DAY_MS)).toBeCloseTo(4 + 4, 12);
    expect(m.rawAt(entries, T0 + 25 * DAY_MS - 1)).toBeCloseTo(16 * 2 ** -2.5 + 8 * 2 ** -1.5, 6);
    expect(m.rawAt(entries, T0 + 25 * DAY_MS)).toBeCloseTo(8 * 2 ** -1.5, 12); // the first left the window
  });

  it('keeps state deltas undecayed and ignores entries in the future or beyond their limit', () => {
    const m = model({ decay: { halfLifeDays: 1 } });
    const entries = [entry(0, -20, EntryKind.state), entry(5, 7), { ...entry(5, 100), counted: false }, entry(9, 50)];
    expect(m.rawAt(entries, T0 + 5 * DAY_MS)).toBe(-13);
    expect(m.rawAt(entries, T0 + 6 * DAY_MS)).toBeCloseTo(-20 + 3.5, 12);
  });

  it('maps relationship strength through the saturation curve, rounded to 2 decimals', () => {
    const relationship = new ScoreModel(
      compileProfile({
        name: 'R',
        kind: 'relationship',
        rules: [{ ...rule('meeting', 0), event: { type: 'weight', params: { weight: 10 } } }],
        saturation: 20,
      }),
    );
    expect(relationship.report(20)).toBe(63.21);
    expect(relationship.report(0)).toBe(0);
    expect(relationship.report(1000)).toBe(100);
  });

  it('finds the raw thresholds that match the shown scores', () => {
    const m = model({ range: { min: 0, max: 100 } });
    expect(m.rawThreshold(40)).toBeCloseTo(39.995, 12);
    expect(m.rawThreshold(0)).toBe(-Infinity);
    expect(m.rawThreshold(100.01)).toBe(Infinity);
    expect(m.rawAtMostBound(69.99)).toBeCloseTo(69.995, 12);
    const threshold = m.rawThreshold(40);
    for (const raw of [39.994, 39.995, 39.996, 40, threshold]) expect(m.report(raw) >= 40).toBe(raw >= threshold);
    expect(m.report(threshold)).toBe(40);
    expect(m.report(threshold - 1e-12)).toBe(39.99);
  });

  it('splits an explanation into 2-decimal parts that add up to the score', () => {
    const parts = roundParts([1 / 3, 1 / 3, 1 / 3], 1);
    expect(parts.reduce((sum, part) => sum + part, 0)).toBeCloseTo(1, 10);
    expect(roundParts([10.004, 5.004, -3.333], 11.675)).toEqual([10.01, 5, -3.33]);
  });
});

describe('anchors', () => {
  const entryArb = fc.record({
    day: fc.double({ min: 0, max: 60, noNaN: true }),
    points: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -50, max: 50, noNaN: true })),
    kind: fc.constantFrom(EntryKind.interaction, EntryKind.interaction, EntryKind.adjustment, EntryKind.state),
    counted: fc.boolean(),
  });
  const settings = fc.record({
    halfLife: fc.option(fc.double({ min: 0.5, max: 40, noNaN: true }), { nil: undefined }),
    window: fc.option(fc.double({ min: 1, max: 45, noNaN: true }), { nil: undefined }),
  });

  it('moved forward over expiries and future-dated entries, equal the score recomputed from the ledger', () => {
    fc.assert(
      fc.property(
        settings,
        fc.array(entryArb, { maxLength: 25 }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        fc.double({ min: 0, max: 120, noNaN: true }),
        ({ halfLife, window }, raw, tauDay, span) => {
          const m = model({ ...(halfLife ? { decay: { halfLifeDays: halfLife } } : {}), ...(window ? { window: { days: window } } : {}) });
          const entries: Entry[] = raw.map((item) => ({
            at: T0 + item.day * DAY_MS,
            kind: item.kind,
            rule: 0,
            points: item.points,
            counted: item.kind === EntryKind.state || item.counted,
          }));
          const tau = T0 + tauDay * DAY_MS;
          const now = tau + span * DAY_MS;
          const anchor = m.anchorFromEntries(entries, tau);
          const advanced = m.advance(anchor, now, entries);
          const expected = m.rawAt(entries, now);
          expect(m.rawFromAnchor(advanced, now)).toBeCloseTo(expected, 6);
          const recomputed = m.anchorFromEntries(entries, now);
          expect(advanced.s).toBeCloseTo(recomputed.s, 9);
          expect(advanced.a).toBeCloseTo(recomputed.a, 6);
          expect(advanced.staleAt).toBe(recomputed.staleAt);
          // Between τ and staleAt the anchor alone gives the exact score.
          const probe = Math.min(now + DAY_MS, advanced.staleAt ?? Infinity) - 1;
          if (probe > now) expect(m.rawFromAnchor(advanced, probe)).toBeCloseTo(m.rawAt(entries, probe), 6);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('order contacts by score at any later time through their sort keys alone', () => {
    const m = model({ decay: { halfLifeDays: 7 } });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: 0, max: 30, noNaN: true })), {
          minLength: 2,
          maxLength: 20,
        }),
        fc.double({ min: 30, max: 400, noNaN: true }),
        (anchors, laterDay) => {
          const later = T0 + laterDay * DAY_MS;
          const rows = anchors.map(([a, day]) => {
            const anchor = { s: 0, a, tau: T0 + day * DAY_MS, staleAt: null };
            return { raw: m.rawFromAnchor(anchor, later), ...m.sortKeyOf(anchor) };
          });
          const byKey = [...rows].sort((x, y) => x.sign - y.sign || x.key - y.key).map((row) => row.raw);
          const byRaw = [...rows].map((row) => row.raw).sort((x, y) => x - y);
          byKey.forEach((raw, index) => expect(raw).toBeCloseTo(byRaw[index], 9));
        },
      ),
    );
  });

  it('predicts when decay alone crosses a level', () => {
    const m = model({ decay: { halfLifeDays: 10 }, bands: undefined });
    const anchor = { s: 0, a: 80, tau: T0, staleAt: null };
    const crossing = m.nextCrossing(anchor, [], T0, [40, 20]);
    expect(crossing).toEqual({ at: T0 + 10 * DAY_MS, level: 40, direction: 'down' });
    const negative = { s: 10, a: -40, tau: T0, staleAt: null };
    expect(m.nextCrossing(negative, [], T0, [-10])).toEqual({ at: T0 + 10 * DAY_MS, level: -10, direction: 'up' });
    expect(m.nextCrossing({ s: 0, a: 30, tau: T0, staleAt: null }, [], T0, [40])).toBeNull();
  });

  it('predicts a crossing caused by a contribution leaving the window', () => {
    const m = model({ window: { days: 30 } });
    const entries = [entry(0, 30), entry(10, 20)];
    const start = m.anchorFromEntries(entries, T0 + 15 * DAY_MS);
    expect(m.nextCrossing(start, entries, T0 + 15 * DAY_MS, [39.995])).toEqual({ at: T0 + 30 * DAY_MS, level: 39.995, direction: 'down' });
  });
});
