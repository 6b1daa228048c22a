import type { Queryable } from './db';

export type Member = { actorId: string; name: string | null; email: string | null; createdAt: Date; updatedAt: Date };

const columns = `actor_id AS "actorId", name, email, created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function upsertMember(
  db: Queryable,
  workspaceId: string,
  actorId: string,
  fields: { name?: string | null; email?: string | null },
  now: Date,
): Promise<{ member: Member; created: boolean }> {
  const { rows } = await db.query<Member & { created: boolean }>(
    `INSERT INTO members AS m (workspace_id, actor_id, name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $7, $7)
     ON CONFLICT (workspace_id, actor_id) DO UPDATE SET
       name = CASE WHEN $5 THEN EXCLUDED.name ELSE m.name END,
       email = CASE WHEN $6 THEN EXCLUDED.email ELSE m.email END,
       updated_at = EXCLUDED.updated_at
     RETURNING ${columns}, (xmax = 0) AS created`,
    [workspaceId, actorId, fields.name ?? null, fields.email ?? null, fields.name !== undefined, fields.email !== undefined, now],
  );
  const { created, ...member } = rows[0];
  return { member, created };
}

export async function getMember(db: Queryable, workspaceId: string, actorId: string): Promise<Member | undefined> {
  const { rows } = await db.query<Member>(`SELECT ${columns} FROM members WHERE workspace_id = $1 AND actor_id = $2`, [
    workspaceId,
    actorId,
  ]);
  return rows[0];
}

export async function listMembers(db: Queryable, workspaceId: string, limit: number, after: string | undefined): Promise<Member[]> {
  const { rows } = await db.query<Member>(
    `SELECT ${columns} FROM members WHERE workspace_id = $1 AND ($2::text IS NULL OR actor_id > $2) ORDER BY actor_id LIMIT $3`,
    [workspaceId, after ?? null, limit],
  );
  return rows;
}

export async function membersById(db: Queryable, workspaceId: string, actorIds: readonly string[]): Promise<Map<string, Member>> {
  if (actorIds.length === 0) return new Map();
  const { rows } = await db.query<Member>(`SELECT ${columns} FROM members WHERE workspace_id = $1 AND actor_id = ANY($2::text[])`, [
    workspaceId,
    actorIds,
  ]);
  return new Map(rows.map((row) => [row.actorId, row]));
}

export async function deleteMember(db: Queryable, workspaceId: string, actorId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM members WHERE workspace_id = $1 AND actor_id = $2', [workspaceId, actorId]);
  return (rowCount ?? 0) > 0;
}
