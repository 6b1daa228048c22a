/** SQL fragments shared by queries that read scores from anchors (table alias `sc`). */

export type Param = (value: unknown) => string;

/** The decayed part at time key t (see es_decayed in migrations/002); without decay, the sort key is the amount itself. */
export const decayedExpression = (decays: boolean, timeKey: number, param: Param) =>
  decays ? `es_decayed(sc.sign, sc.sort_key, ${param(timeKey)}::float8)` : 'sc.sort_key';

export const rawExpression = (decays: boolean, timeKey: number, param: Param) =>
  `(sc.state_points + ${decayedExpression(decays, timeKey, param)})`;

/**
 * Only contacts that have a score (a profile's minInteractions; always true without it): lists in a
 * profile leave the others out. Written as is, so the planner can use the index on qualified anchors.
 */
export const QUALIFIED = 'sc.qualified';

/** raw ≥ min and raw < max as per-row conditions (±Infinity = no bound), for contacts that have a score. */
export function rawBoundConditions(decays: boolean, bounds: { min: number; max: number }, param: Param, timeKey: number): string[] {
  const conditions: string[] = [QUALIFIED];
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

/** What contact lists filter by, besides the score. */
export type ContactFilter = {
  /** Any of these tags. */
  tags?: string[];
  /** All of these tags. */
  allTags?: string[];
  /** The last interaction is before this moment (never counts as before). */
  lastInteractionBefore?: Date;
  /** The last interaction is at or after this moment. */
  lastInteractionAfter?: Date;
  accountId?: string;
  ownerId?: string;
  /** The start of the contact's id or name, any case. */
  search?: string;
};

/** The filter as conditions on the contacts table (alias `c`). */
export function contactFilterConditions(filter: ContactFilter, param: Param): string[] {
  const conditions: string[] = [];
  if (filter.tags && filter.tags.length > 0) conditions.push(`c.tags && ${param(filter.tags)}::text[]`);
  if (filter.allTags && filter.allTags.length > 0) conditions.push(`c.tags @> ${param(filter.allTags)}::text[]`);
  const lastAt = `coalesce((SELECT ca.last_at FROM contact_activity ca WHERE ca.workspace_id = c.workspace_id AND ca.contact_id = c.id), '-infinity'::timestamptz)`;
  if (filter.lastInteractionBefore !== undefined) conditions.push(`${lastAt} < ${param(filter.lastInteractionBefore)}::timestamptz`);
  if (filter.lastInteractionAfter !== undefined) conditions.push(`${lastAt} >= ${param(filter.lastInteractionAfter)}::timestamptz`);
  if (filter.accountId !== undefined) conditions.push(`c.account_id = ${param(filter.accountId)}`);
  if (filter.ownerId !== undefined) conditions.push(`c.owner_id = ${param(filter.ownerId)}`);
  if (filter.search !== undefined) {
    const prefix = param(`${filter.search.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`);
    conditions.push(`(lower(c.id) LIKE ${prefix} OR lower(c.name) LIKE ${prefix})`);
  }
  return conditions;
}
