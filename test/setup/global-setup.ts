import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbedded, type EmbeddedDatabase } from '../../service/store/embedded';
import { migrate } from '../../service/store/migrate';
import { databaseUrlFor } from '../helpers/database-url';

declare global {
  var __embeddedDatabase: EmbeddedDatabase | undefined;
}

/**
 * Once per `npm test`: a PostgreSQL server (DATABASE_URL's, or an embedded one) and a migrated
 * template database from which every test file gets its own copy.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'engagement-score-test-'));
    globalThis.__embeddedDatabase = await startEmbedded({ dataDir, ephemeral: true });
    adminUrl = globalThis.__embeddedDatabase.url;
  }
  const template = `es_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await migrate(databaseUrlFor(adminUrl, template));
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.TEST_TEMPLATE_DATABASE = template;
}
