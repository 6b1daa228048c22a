import type { Queryable } from './db';

/**
 * What a workspace's data looks like (interaction types, property paths of interactions, attribute
 * paths of contacts), for the profile editor's warnings. Writers report what they stored; only what
 * this process has not seen for the workspace yet reaches the database, so a steady stream of the
 * usual shapes costs no query at all.
 */

export type ShapeKind = 'type' | 'property' | 'attribute';
export type Shape = { kind: ShapeKind; value: string };
export type WorkspaceShapes = { types: string[]; properties: string[]; attributes: string[]; complete: boolean };

/** Beyond this many shapes of one kind a workspace's data has no fixed shape worth tracking. */
export const MAX_SHAPES_PER_KIND = 2000;

const seen = new Map<string, Set<string>>();
const MAX_CACHED_WORKSPACES = 1000;

function cacheOf(workspaceId: string): Set<string> {
  let known = seen.get(workspaceId);
  if (!known) {
    if (seen.size >= MAX_CACHED_WORKSPACES) seen.delete(seen.keys().next().value!);
    seen.set(workspaceId, (known = new Set()));
  }
  return known;
}

/** Records shapes not seen before (after the write that stored them committed); a no-op when all are known. */
export async function recordShapes(db: Queryable, workspaceId: string, shapes: readonly Shape[]): Promise<void> {
  const known = cacheOf(workspaceId);
  const fresh = [...new Map(shapes.map((shape) => [`${shape.kind}\u0000${shape.value}`, shape])).entries()].filter(
    ([key]) => !known.has(key),
  );
  if (fresh.length === 0) return;
  await db.query(
    `INSERT INTO data_shapes (workspace_id, kind, value)
     SELECT $1, s.kind, s.value FROM unnest($2::text[], $3::text[]) AS s(kind, value)
      WHERE (SELECT count(*) FROM data_shapes d WHERE d.workspace_id = $1 AND d.kind = s.kind) < ${MAX_SHAPES_PER_KIND}
     ON CONFLICT DO NOTHING`,
    [workspaceId, fresh.map(([, shape]) => shape.kind), fresh.map(([, shape]) => shape.value)],
  );
  // Marked as known only once written (callers record after their transaction committed).
  for (const [key] of fresh) if (known.size < MAX_SHAPES_PER_KIND * 3) known.add(key);
}

export async function loadShapes(db: Queryable, workspaceId: string): Promise<WorkspaceShapes> {
  const { rows } = await db.query<{ kind: ShapeKind; values: string[] }>(
    `SELECT kind, array_agg(value ORDER BY value) AS values FROM data_shapes WHERE workspace_id = $1 GROUP BY kind`,
    [workspaceId],
  );
  const of = (kind: ShapeKind) => rows.find((row) => row.kind === kind)?.values ?? [];
  const shapes = { types: of('type'), properties: of('property'), attributes: of('attribute') };
  return { ...shapes, complete: Object.values(shapes).every((values) => values.length < MAX_SHAPES_PER_KIND) };
}
