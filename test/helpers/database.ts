import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Db } from '../../service/store/db';
import { databaseUrlFor } from './database-url';

export type TestDatabase = { url: string; name: string; db: Db; drop(): Promise<void> };

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('The jest global setup did not run (TEST_ADMIN_DATABASE_URL is unset).');
  return url;
}

/** A fresh, migrated database of its own for one test file (copied from the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `es_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.TEST_TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(adminUrl(), name);
  const db = createPool(url, 10);
  return {
    url,
    name,
    db,
    async drop() {
      await db.end();
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
