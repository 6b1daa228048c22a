import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../config';

// Apart from migrate.ts on purpose: node-pg-migrate is ESM-only, and the HTTP app (loaded by jest) only needs this check.
export const migrationsDir = path.join(packageRoot, 'migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Names of the migration files that the database has not applied yet (used by /readyz). */
export async function pendingMigrations(query: (sql: string) => Promise<{ rows: { name: string }[] }>): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((file) => file.endsWith('.sql')).map((file) => file.replace(/\.sql$/, ''));
  let applied: Set<string>;
  try {
    applied = new Set((await query(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rows.map((row) => row.name));
  } catch (error) {
    // No migrations table yet means none applied; any other error (unreachable database) is the caller's to report.
    if ((error as { code?: string }).code === '42P01') return files;
    throw error;
  }
  return files.filter((file) => !applied.has(file));
}
