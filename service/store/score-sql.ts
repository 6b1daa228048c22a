/** SQL fragments shared by queries that read scores from anchors (table alias `sc`). */

export type Param = (value: unknown) => string;

/** The decayed part at time key t (see es_decayed in migrations/002); without decay, the sort key is the amount itself. */
export const decayedExpression = (decays: boolean, timeKey: number, param: Param) =>
  decays ? `es_decayed(sc.sign, sc.sort_key, ${param(timeKey)}::float8)` : 'sc.sort_key';

export const rawExpression = (decays: boolean, timeKey: number, param: Param) => `(sc.state_points + ${decayedExpression(decays, timeKey, param)})`;

/** raw ≥ min and raw < max as per-row conditions (±Infinity = no bound). */
export function rawBoundConditions(decays: boolean, bounds: { min: number; max: number }, param: Param, timeKey: number): string[] {
  const conditions: string[] = [];
  if (Number.isFinite(bounds.min)) conditions.push(`${rawExpression(decays, timeKey, param)} >= ${param(bounds.min)}`);
  if (Number.isFinite(bounds.max)) conditions.push(`${rawExpression(decays, timeKey, param)} < ${param(bounds.max)}`);
  return conditions;
}

/** Collects query values and hands out their $n placeholders. */
export function parameters(initial: unknown[] = []): { values: unknown[]; param: Param } {
  const values = [...initial];
  return {
    values,
    param: (value) => {
      values.push(value);
      return `$${values.length}`;
    },
  };
}
