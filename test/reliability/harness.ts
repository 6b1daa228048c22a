import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startEmbedded, type EmbeddedDatabase } from '../../service/store/embedded';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { exampleProfile } from '../helpers/profiles';
import { cleanEnv, runFromSources, type Spawned } from '../helpers/processes';

/** The real entry point (service/main.ts) in a child process, and what a fault test does to it. */

export const ADMIN_KEY = 'reliability-admin-key-0123456789abcdef0123';

export type RunningService = {
  base: string;
  port: number;
  process: Spawned;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are asserted on, whatever their shape
  request(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>;
  /** SIGTERM, and the exit code with how long it took. */
  terminate(): Promise<{ code: number | null; ms: number }>;
  kill9(): Promise<void>;
  alive(): boolean;
};

export async function startService(env: Record<string, string>, port?: number): Promise<RunningService> {
  const chosen = port ?? (await freePort());
  const spawned = runFromSources(
    'service/main.ts',
    [],
    cleanEnv({ PORT: String(chosen), ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'warn', ...env }),
  );
  await spawned.waitFor(/listening on http:\/\/[^\s]+/, 60_000);
  const base = `http://127.0.0.1:${chosen}`;
  let exitCode: number | null | undefined;
  void spawned.exited.then((code) => (exitCode = code));
  return {
    base,
    port: chosen,
    process: spawned,
    async request(method, route, body) {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { Authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async terminate() {
      const started = Date.now();
      spawned.child.kill('SIGTERM');
      const code = await spawned.exited;
      return { code, ms: Date.now() - started };
    },
    async kill9() {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    },
    alive: () => exitCode === undefined,
  };
}

/**
 * A fresh test database for the file, and the service process a test starts on it: the database is
 * dropped and a service still running is killed after the file's tests.
 */
export function freshDatabaseForService(): { readonly database: TestDatabase; service: RunningService | undefined } {
  const state: { database?: TestDatabase; service: RunningService | undefined } = { service: undefined };
  beforeAll(async () => {
    state.database = await createTestDatabase();
  });
  afterAll(async () => {
    if (state.service?.alive()) await state.service.kill9();
    await state.database?.drop();
  });
  return {
    get database() {
      return state.database!;
    },
    get service() {
      return state.service;
    },
    set service(value) {
      state.service = value;
    },
  };
}

/** An embedded PostgreSQL server of the test's own, which it may stop and start again (same port, same data). */
export async function ownDatabaseServer(): Promise<{
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
  terminateServiceConnections(): Promise<number>;
}> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'es-reliability-'));
  const port = await freePort();
  let server: EmbeddedDatabase | undefined = await startEmbedded({ dataDir, port });
  const url = server.url;
  return {
    url,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server = await startEmbedded({ dataDir, port });
    },
    async dispose() {
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
    terminateServiceConnections: () => terminateServiceConnections(url),
  };
}

/** pg_terminate_backend on every connection of the service (as a failover or an operator would). */
export async function terminateServiceConnections(url: string): Promise<number> {
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined);
  await admin.connect();
  try {
    const { rows } = await admin.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = 'engagement-score' AND datname = current_database() AND pid <> pg_backend_pid()`,
    );
    return rows.filter((row) => row.terminated).length;
  } finally {
    await admin.end();
  }
}

/** The example engagement profile (a meeting is worth 10 points), published; returns its id once live. */
export async function publishEngagementProfile(service: RunningService): Promise<string> {
  const document = exampleProfile('engagement-highlevel');
  const created = await service.request('POST', '/v1/profiles', document);
  if (created.status !== 201) throw new Error(`profile: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  const published = await service.request('POST', `/v1/profiles/${id}/publish`, {});
  await waitForJob(service, published.body.job.id as string, 60_000);
  return id;
}

export async function waitForJob(service: RunningService, jobId: string, timeoutMs: number): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const job = await service.request('GET', `/v1/jobs/${jobId}`);
      if (job.status === 200 && (job.body.state === 'succeeded' || job.body.state === 'failed')) return job.body as Record<string, unknown>;
      return undefined;
    },
    timeoutMs,
    `job ${jobId} to finish`,
  );
}

/** Polls until `check` returns a value (errors count as "not yet"). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Interactions with ids that say where they came from, for exactly-once checks. */
export function batchOf(stream: number, batch: number, size: number, contacts: number) {
  return {
    interactions: Array.from({ length: size }, (_, index) => ({
      id: `s${stream}-b${batch}-${index}`,
      contactId: `c${(stream * 7919 + batch * 104_729 + index * 31) % contacts}`,
      type: ['meeting', 'email_open', 'call', 'form_submission', 'payment'][index % 5],
      occurredAt: new Date(Date.now() - ((index * 3_600_000) % (40 * 86_400_000))).toISOString(),
      actorId: `rep-${index % 4}`,
    })),
  };
}
