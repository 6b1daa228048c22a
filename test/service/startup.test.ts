import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../service/store/embedded';
import { createTestDatabase } from '../helpers/database';
import { cleanEnv, runFromSources } from '../helpers/processes';

async function get(url: string, key?: string) {
  const response = await fetch(url, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  return { status: response.status, body: await response.json() };
}

describe('npm start on the embedded PostgreSQL', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'es-start-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('starts on an empty data folder, prints a key once, stops cleanly, and reuses the data on the next start', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const first = runFromSources('service/main.ts', [], cleanEnv({ DATA_DIR: dataDir, PORT: String(port) }));
    const [, key] = await first.waitFor(/admin API key[^\n]*\n\s*\n\s*(es_[\w-]+)/);
    await first.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(first.output()).toContain(`${base}/docs`);
    expect(await get(`${base}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
    expect((await get(`${base}/v1/me`, key)).body).toMatchObject({ role: 'admin', workspace: { name: 'default' } });
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(true);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = runFromSources('service/main.ts', [], cleanEnv({ DATA_DIR: dataDir, PORT: String(port) }));
    await second.waitFor(/listening on/);
    expect(second.output()).not.toContain('admin API key');
    expect(second.output()).not.toContain('migrations applied');
    expect((await get(`${base}/v1/me`, key)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});

describe('npm start on DATABASE_URL', () => {
  it('lets two instances start together on an empty database, applying each migration once, and accepts ADMIN_API_KEY', async () => {
    const database = await createTestDatabase();
    try {
      await database.db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      const adminKey = 'deployment-key-0123456789abcdef0123456789';
      const ports = [await freePort(), await freePort()];
      const instances = ports.map((port) => runFromSources('service/main.ts', [], cleanEnv({ DATABASE_URL: database.url, PORT: String(port), ADMIN_API_KEY: adminKey })));
      await Promise.all(instances.map((instance) => instance.waitFor(/listening on/)));
      const printedKeys = instances.filter((instance) => instance.output().includes('admin API key'));
      expect(printedKeys).toHaveLength(1);
      const { rows } = await database.db.query('SELECT name FROM pgmigrations');
      expect(new Set(rows.map((row) => row.name)).size).toBe(rows.length);
      for (const port of ports) {
        expect((await get(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
        expect((await get(`http://127.0.0.1:${port}/v1/me`, adminKey)).body).toMatchObject({ role: 'admin' });
      }
      const stored = await database.db.query("SELECT key_hash FROM api_keys WHERE origin = 'environment'");
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0].key_hash.toString('utf8')).not.toContain(adminKey);
      for (const instance of instances) instance.child.kill('SIGTERM');
      expect(await Promise.all(instances.map((instance) => instance.exited))).toEqual([0, 0]);
    } finally {
      await database.drop();
    }
  });

  it('refuses a wrong setting, naming the variable', async () => {
    const started = runFromSources('service/main.ts', [], cleanEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://nope' }));
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/PORT/);
    expect(started.output()).toMatch(/DATABASE_URL/);
  });
});

describe('command-line tools', () => {
  it('npm run keys creates a workspace and key (the key alone on the last line), lists and revokes it', async () => {
    const database = await createTestDatabase();
    try {
      const env = cleanEnv({ DATABASE_URL: database.url });
      const create = runFromSources('service/cli/keys.ts', ['create', '--workspace', 'cli-space', '--role', 'writer', '--name', 'etl'], env);
      expect(await create.exited).toBe(0);
      const lines = create.output().trim().split('\n');
      const key = lines[lines.length - 1]!;
      expect(key).toMatch(/^es_[\w-]{43}$/);
      const { rows } = await database.db.query("SELECT k.id, k.role FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id WHERE w.name = 'cli-space'");
      expect(rows).toEqual([{ id: expect.any(String), role: 'writer' }]);

      const list = runFromSources('service/cli/keys.ts', ['list', '--workspace', 'cli-space'], env);
      expect(await list.exited).toBe(0);
      expect(list.output()).toContain(rows[0].id);

      const revoke = runFromSources('service/cli/keys.ts', ['revoke', '--workspace', 'cli-space', '--id', rows[0].id], env);
      expect(await revoke.exited).toBe(0);
      const after = await database.db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [rows[0].id]);
      expect(after.rows[0].revoked_at).not.toBeNull();

      const wrong = runFromSources('service/cli/keys.ts', ['create', '--workspace', 'cli-space', '--role', 'owner'], env);
      expect(await wrong.exited).toBe(2);
    } finally {
      await database.drop();
    }
  });

  it('npm run migrate applies nothing the second time', async () => {
    const database = await createTestDatabase();
    try {
      const run = runFromSources('service/cli/migrate.ts', [], cleanEnv({ DATABASE_URL: database.url }));
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('Nothing to apply');
    } finally {
      await database.drop();
    }
  });
});
