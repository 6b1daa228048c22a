import { contactColumns, type Contact } from './contacts';
import { prepared, type Queryable } from './db';
import { contactFilterConditions, parameters, QUALIFIED, rawBoundConditions, rawExpression, type ContactFilter } from './score-sql';

/**
 * Contacts filtered and ordered by their score in one version, exact at time `t`, from the anchors'
 * index (workspace, version, state_points, sign, sort_key, contact_id) WHERE qualified: within one
 * value of the undecayed part s, (sign, sort_key) orders by score at every time, so each group of
 * contacts sharing an s is an index range, and the few groups are merged. Nothing is recomputed per
 * contact. Contacts without a score (fewer interactions than the profile's minInteractions) are not
 * in that index, and not in these lists.
 */

export type ScoreBounds = {
  /** raw ≥ min (−Infinity: no bound). */
  min: number;
  /** raw < max (Infinity: no bound). */
  max: number;
};

/** Where a page ended: the last row's group and keys, so the next page starts right after it. */
export type ScorePosition = { s: number; sign: number; key: number; id: string; raw: number };

export type ScoredContact = Contact & { raw: number; s: number; sign: number; key: number };

export type ScoreQuery = {
  workspaceId: string;
  versionId: number;
  decays: boolean;
  /** Time in half-lives (0 without decay). */
  timeKey: number;
  bounds: ScoreBounds;
  filter: ContactFilter;
  descending: boolean;
  limit: number;
  after?: ScorePosition;
};

/**
 * The distinct state parts (s) of a version's anchors, found by skipping through the index one value at
 * a time (a "loose index scan"): as many index probes as there are values, however many contacts.
 */
const DISTINCT_STATE_PARTS = `WITH RECURSIVE groups(s) AS (
       (SELECT state_points FROM scores WHERE workspace_id = $1 AND version_id = $2 AND qualified ORDER BY state_points LIMIT 1)
       UNION ALL
       SELECT (SELECT state_points FROM scores WHERE workspace_id = $1 AND version_id = $2 AND qualified AND state_points > g.s ORDER BY state_points LIMIT 1)
         FROM groups g WHERE g.s IS NOT NULL
     )`;

type KeyTuple = { sign: number; key: number };

/** The (sign, key) from which a contact's decayed part is at least d at time key t (see ScoreModel.sortKeyOf). */
export function keyBound(d: number, timeKey: number, decays: boolean): KeyTuple {
  const sign = d > 0 ? 1 : d < 0 ? -1 : 0;
  if (!decays) return { sign, key: d };
  if (sign === 0) return { sign, key: 0 };
  return { sign, key: sign * (Math.log2(Math.abs(d)) + timeKey) };
}

/**
 * The first page without score bounds (the top N): the groups and their index ranges in one
 * statement, each group read in index order up to the page size.
 */
async function firstPage(db: Queryable, query: ScoreQuery): Promise<ScoredContact[]> {
  const { values, param } = parameters([query.workspaceId, query.versionId]);
  const shared = contactFilterConditions(query.filter, param);
  const direction = query.descending ? 'DESC' : 'ASC';
  const limit = param(query.limit);
  const { rows } = await db.query<ScoredContact>(
    prepared(
      `${DISTINCT_STATE_PARTS}
     SELECT page.* FROM groups g CROSS JOIN LATERAL (
       SELECT ${contactColumns}, sc.state_points AS s, sc.sign, sc.sort_key AS key, ${rawExpression(query.decays, query.timeKey, param)} AS raw
         FROM scores sc JOIN contacts c ON c.workspace_id = sc.workspace_id AND c.id = sc.contact_id
        WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND ${QUALIFIED} AND sc.state_points = g.s ${shared.map((condition) => `AND ${condition}`).join(' ')}
        ORDER BY sc.sign ${direction}, sc.sort_key ${direction}, sc.contact_id ${direction}
        LIMIT ${limit}
     ) page
     WHERE g.s IS NOT NULL
     ORDER BY page.raw ${direction}, page.id ${direction}
     LIMIT ${limit}`,
      values,
    ),
  );
  return rows;
}

/** More groups than this and a query merging index ranges stops paying off. */
const MAX_GROUPS = 64;

export async function listByScore(db: Queryable, query: ScoreQuery): Promise<ScoredContact[]> {
  const { bounds } = query;
  if (bounds.min === Infinity || bounds.max === -Infinity || bounds.min >= bounds.max) return [];
  if (!Number.isFinite(bounds.min) && !Number.isFinite(bounds.max) && !query.after) return firstPage(db, query);
  const groups = await db.query<{ s: number }>(
    prepared(`${DISTINCT_STATE_PARTS} SELECT s FROM groups WHERE s IS NOT NULL LIMIT ${MAX_GROUPS + 1}`, [
      query.workspaceId,
      query.versionId,
    ]),
  );
  const { values, param } = parameters([query.workspaceId, query.versionId]);
  const shared = contactFilterConditions(query.filter, param);
  const direction = query.descending ? 'DESC' : 'ASC';
  const limit = param(query.limit);
  const select = `SELECT ${contactColumns}, sc.state_points AS s, sc.sign, sc.sort_key AS key, ${rawExpression(query.decays, query.timeKey, param)} AS raw
                    FROM scores sc JOIN contacts c ON c.workspace_id = sc.workspace_id AND c.id = sc.contact_id`;
  let body: string;
  if (groups.rows.length > MAX_GROUPS) {
    // Many distinct state parts: order by the computed score instead (correct, not index-backed).
    const conditions = [...shared, ...rawBoundConditions(query.decays, bounds, param, query.timeKey)];
    if (query.after) {
      const comparison = query.descending ? '<' : '>';
      conditions.push(
        `(${rawExpression(query.decays, query.timeKey, param)}, sc.contact_id) ${comparison} (${param(query.after.raw)}::float8, ${param(query.after.id)}::text)`,
      );
    }
    body = `${select} WHERE sc.workspace_id = $1 AND sc.version_id = $2 ${conditions.map((condition) => `AND ${condition}`).join(' ')}`;
  } else {
    const parts: string[] = [];
    for (const { s } of groups.rows) {
      const conditions = [QUALIFIED, `sc.state_points = ${param(s)}::float8`];
      if (Number.isFinite(bounds.min)) {
        const bound = keyBound(bounds.min - s, query.timeKey, query.decays);
        conditions.push(`(sc.sign, sc.sort_key) >= (${param(bound.sign)}::smallint, ${param(bound.key)}::float8)`);
      }
      if (Number.isFinite(bounds.max)) {
        const bound = keyBound(bounds.max - s, query.timeKey, query.decays);
        conditions.push(`(sc.sign, sc.sort_key) < (${param(bound.sign)}::smallint, ${param(bound.key)}::float8)`);
      }
      if (query.after) {
        // The cursor's own group continues from its exact keys; the others from the score it had.
        const bound =
          query.after.s === s
            ? { sign: query.after.sign, key: query.after.key }
            : keyBound(query.after.raw - s, query.timeKey, query.decays);
        const comparison = query.descending ? '<' : '>';
        conditions.push(
          `(sc.sign, sc.sort_key, sc.contact_id) ${comparison} (${param(bound.sign)}::smallint, ${param(bound.key)}::float8, ${param(query.after.id)}::text)`,
        );
      }
      parts.push(`(${select}
        WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND ${[...conditions, ...shared].join(' AND ')}
        ORDER BY sc.sign ${direction}, sc.sort_key ${direction}, sc.contact_id ${direction} LIMIT ${limit})`);
    }
    if (parts.length === 0) return [];
    body = parts.join(' UNION ALL ');
  }
  const { rows } = await db.query<ScoredContact>(
    prepared(`SELECT * FROM (${body}) page ORDER BY page.raw ${direction}, page.id ${direction} LIMIT ${limit}`, values),
  );
  return rows;
}

/** The raw scores of some contacts at time key t, from their anchors (callers refresh stale anchors first). */
export async function rawScoresOf(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  decays: boolean,
  timeKey: number,
  contactIds: readonly string[],
): Promise<Map<string, number>> {
  const { values, param } = parameters([workspaceId, versionId, contactIds]);
  const { rows } = await db.query<{ contactId: string; raw: number }>(
    `SELECT sc.contact_id AS "contactId", ${rawExpression(decays, timeKey, param)} AS raw
       FROM scores sc WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND sc.contact_id = ANY($3::text[])`,
    values,
  );
  return new Map(rows.map((row) => [row.contactId, row.raw]));
}
