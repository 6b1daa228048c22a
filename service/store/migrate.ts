import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger';
import { MIGRATIONS_TABLE, migrationsDir } from './schema-status';

/**
 * Applies every pending migration. node-pg-migrate holds an advisory lock while it runs,
 * so several instances starting together apply each migration once.
 */
export async function migrate(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    count: Infinity,
    checkOrder: true,
    // A second instance starting at the same time waits for the first one's migrations instead of failing.
    advisoryLockMode: 'wait',
    verbose: false,
    log: (message: string) => logger?.debug({ migration: true }, message),
  });
  return applied.map((migration) => migration.name);
}
