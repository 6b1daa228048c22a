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
    expect(await get(`${base}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready', background: { loops: expect.any(Array) } } });
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
      const instances = ports.map((port) =>
        runFromSources('service/main.ts', [], cleanEnv({ DATABASE_URL: database.url, PORT: String(port), ADMIN_API_KEY: adminKey })),
      );
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

  it.each([
    ['HOST', 'not a host', /HOST: an IP address/],
    ['BODY_LIMIT', 'lots', /BODY_LIMIT: "lots" is not a size/],
    ['BODY_LIMIT', '1tb', /BODY_LIMIT: "1tb" is not a size/],
    ['BODY_LIMIT', '2gb', /BODY_LIMIT: 2gb is outside 1kb–1gb/],
  ])('refuses %s=%s with a message that names it', async (name, value, message) => {
    const started = runFromSources('service/main.ts', [], cleanEnv({ [name]: value, DATABASE_URL: 'postgres://127.0.0.1:1/none' }));
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(message);
    expect(started.output()).not.toMatch(/Cannot read properties|listening on/);
  });

  it('says so and exits when the port is taken by another instance, instead of running without a server', async () => {
    const database = await createTestDatabase();
    const port = await freePort();
    const first = runFromSources('service/main.ts', [], cleanEnv({ DATABASE_URL: database.url, PORT: String(port), RUN_WORKERS: 'false' }));
    try {
      await first.waitFor(/listening on/);
      const second = runFromSources(
        'service/main.ts',
        [],
        cleanEnv({ DATABASE_URL: database.url, PORT: String(port), RUN_WORKERS: 'false' }),
      );
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(second.output()).not.toContain('listening on');
      expect((await get(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
      await database.drop();
    }
  });

  it('refuses to start when the database is unreachable, saying why without a stack trace', async () => {
    const started = runFromSources('service/main.ts', [], cleanEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere', PORT: '0' }));
    expect(await started.exited).toBe(1);
    expect(started.output()).toMatch(/failed to start: the database is not reachable .*check DATABASE_URL/);
    expect(started.output()).not.toMatch(/\n\s+at /);
  });
});

describe('command-line tools', () => {
  it('npm run keys creates a workspace and key (the key alone on the last line), lists and revokes it', async () => {
    const database = await createTestDatabase();
    try {
      const env = cleanEnv({ DATABASE_URL: database.url });
      const typo = runFromSources('service/cli/keys.ts', ['create', '--workspace', 'cli-space', '--role', 'writer'], env);
      expect(await typo.exited).toBe(1);
      expect(typo.output()).toContain('No workspace named "cli-space"');
      expect(typo.output()).toContain('--create-workspace');

      const create = runFromSources(
        'service/cli/keys.ts',
        ['create', '--workspace', 'cli-space', '--role', 'writer', '--name', 'etl', '--create-workspace'],
        env,
      );
      expect(await create.exited).toBe(0);
      const lines = create.output().trim().split('\n');
      const key = lines[lines.length - 1];
      expect(key).toMatch(/^es_[\w-]{43}$/);
      const { rows } = await database.db.query(
        "SELECT k.id, k.role FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id WHERE w.name = 'cli-space'",
      );
      expect(rows).toEqual([{ id: expect.any(String), role: 'writer' }]);

      const list = runFromSources('service/cli/keys.ts', ['list', '--workspace', 'cli-space'], env);
      expect(await list.exited).toBe(0);
      expect(list.output()).toContain(rows[0].id);
      expect(list.output().split('\n')[0]).toMatch(/^ID\s+ROLE\s+ORIGIN\s+CREATED\s+LAST USED\s+NAME$/);
      expect(list.output()).toMatch(/writer\s+cli\s+\S+\s+never\s+etl/);
      await database.db.query("UPDATE api_keys SET last_used_at = '2026-11-30T10:00:00Z' WHERE id = $1", [rows[0].id]);
      const json = runFromSources('service/cli/keys.ts', ['list', '--workspace', 'cli-space', '--json'], env);
      expect(await json.exited).toBe(0);
      expect(JSON.parse(json.output().trim().split('\n').pop()!)).toEqual([
        {
          id: rows[0].id,
          role: 'writer',
          name: 'etl',
          origin: 'cli',
          createdAt: expect.any(String),
          lastUsedAt: '2026-11-30T10:00:00.000Z',
        },
      ]);

      const revoke = runFromSources('service/cli/keys.ts', ['revoke', '--workspace', 'cli-space', '--id', rows[0].id], env);
      expect(await revoke.exited).toBe(0);
      const after = await database.db.query('SELECT revoked_at FROM api_keys WHERE id = $1', [rows[0].id]);
      expect(after.rows[0].revoked_at).not.toBeNull();

      const wrong = runFromSources('service/cli/keys.ts', ['create', '--workspace', 'cli-space', '--role', 'owner'], env);
      expect(await wrong.exited).toBe(2);

      const misspelt = runFromSources('service/cli/keys.ts', ['create', '--workspace', 'cli-spcae', '--role', 'reader'], env);
      expect(await misspelt.exited).toBe(1);
      expect(misspelt.output()).toContain('Did you mean "cli-space"?');
      expect((await database.db.query("SELECT count(*)::int AS n FROM workspaces WHERE name = 'cli-spcae'")).rows[0].n).toBe(0);

      const notAnId = runFromSources('service/cli/keys.ts', ['revoke', '--workspace', 'cli-space', '--id', 'nope'], env);
      expect(await notAnId.exited).toBe(2);
      expect(notAnId.output()).toContain('--id nope is not a key id');
      expect(notAnId.output()).not.toMatch(/syntax|uuid:/i);
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
