import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from './db';
import { invalidateCaches } from './notifications';

/** automation: reads, records interactions and manages subscriptions, nothing else (n8n and the like). */
export type Role = 'reader' | 'writer' | 'admin' | 'automation';
export type KeyOrigin = 'api' | 'cli' | 'bootstrap' | 'environment';

export type Workspace = { id: string; name: string };

export type ApiKeyRecord = {
  id: string;
  workspaceId: string;
  name: string | null;
  role: Role;
  origin: KeyOrigin;
  createdAt: Date;
  lastUsedAt: Date | null;
};

export type KeyLookup = ApiKeyRecord & { workspaceName: string };

/** 32 random bytes (256 bits), URL-safe, with a prefix that makes leaked keys easy to recognise. */
export function generateApiKey(): string {
  return `es_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

const keyColumns = `id, workspace_id AS "workspaceId", name, role, origin, created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

export async function findWorkspaceByName(db: Queryable, name: string): Promise<Workspace | undefined> {
  const { rows } = await db.query<Workspace>('SELECT id, name FROM workspaces WHERE name = $1', [name]);
  return rows[0];
}

/** Creates the workspace unless it exists; `created` tells which happened (safe when instances race). */
export async function ensureWorkspace(db: Queryable, name: string): Promise<Workspace & { created: boolean }> {
  const inserted = await db.query<Workspace>('INSERT INTO workspaces (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name', [
    name,
  ]);
  if (inserted.rows[0]) return { ...inserted.rows[0], created: true };
  const existing = await findWorkspaceByName(db, name);
  if (!existing) throw new Error(`workspace ${name} vanished while being created`);
  return { ...existing, created: false };
}

export async function insertApiKey(
  db: Queryable,
  input: { workspaceId: string; role: Role; name: string | null; origin: KeyOrigin; key?: string },
): Promise<ApiKeyRecord & { key: string }> {
  const key = input.key ?? generateApiKey();
  const { rows } = await db.query<ApiKeyRecord>(
    `INSERT INTO api_keys (workspace_id, role, name, origin, key_hash)
     VALUES ($1, $2, $3, $4, $5) RETURNING ${keyColumns}`,
    [input.workspaceId, input.role, input.name, input.origin, hashApiKey(key)],
  );
  return { ...rows[0], key };
}

export async function lookupApiKey(db: Queryable, key: string): Promise<KeyLookup | undefined> {
  // Named: every request runs it, so PostgreSQL parses and plans it once per connection.
  const { rows } = await db.query<KeyLookup>({
    name: 'lookup-api-key',
    text: `SELECT k.id, k.workspace_id AS "workspaceId", k.name, k.role, k.origin, k.created_at AS "createdAt", k.last_used_at AS "lastUsedAt", w.name AS "workspaceName"
       FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id
      WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
    values: [hashApiKey(key)],
  });
  return rows[0];
}

export async function listApiKeys(db: Queryable, workspaceId: string): Promise<ApiKeyRecord[]> {
  const { rows } = await db.query<ApiKeyRecord>(
    `SELECT ${keyColumns} FROM api_keys WHERE workspace_id = $1 AND revoked_at IS NULL ORDER BY created_at, id`,
    [workspaceId],
  );
  return rows;
}

/** Notes that keys were used at `at` (the caller batches: at most once a minute per key). */
export async function recordKeysUsed(db: Queryable, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1::uuid[]) AND (last_used_at IS NULL OR last_used_at < $2)', [
    ids,
    at,
  ]);
}

/** Revokes at once: the next request with that key is refused. */
export async function revokeApiKey(db: Queryable, workspaceId: string, id: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL', [
    workspaceId,
    id,
    now,
  ]);
  if ((rowCount ?? 0) > 0) await invalidateCaches(db, 'keys');
  return (rowCount ?? 0) > 0;
}

/**
 * Makes ADMIN_API_KEY an admin key of the workspace: stored hashed like any other, and a changed
 * value replaces the previous one.
 */
export async function installEnvironmentKey(db: Queryable, workspaceId: string, key: string, now: Date): Promise<void> {
  const hash = hashApiKey(key);
  await db.query(
    `UPDATE api_keys SET revoked_at = $2
      WHERE workspace_id = $1 AND origin = 'environment' AND revoked_at IS NULL AND key_hash <> $3`,
    [workspaceId, now, hash],
  );
  await db.query(
    `INSERT INTO api_keys (workspace_id, role, name, origin, key_hash)
     VALUES ($1, 'admin', 'ADMIN_API_KEY', 'environment', $2)
     ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL, role = 'admin'
       WHERE api_keys.workspace_id = EXCLUDED.workspace_id`,
    [workspaceId, hash],
  );
  await invalidateCaches(db, 'keys');
}

export async function listWorkspaceNames(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM workspaces ORDER BY name');
  return rows.map((row) => row.name);
}
