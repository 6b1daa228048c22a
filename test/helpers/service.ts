import pino from 'pino';
import supertest from 'supertest';
import type { Clock } from '../../service/clock';
import { loadConfig, type Config } from '../../service/config';
import { createApp } from '../../service/http/app';
import { Dispatcher, type DispatcherOptions } from '../../service/jobs/dispatcher';
import { CrossingScheduler } from '../../service/jobs/scheduler';
import { JobWorker, type WorkerOptions } from '../../service/jobs/worker';
import { CrossingDetector } from '../../service/scoring/crossings';
import { ScoringEngine } from '../../service/scoring/engine';
import { ensureWorkspace, insertApiKey, type Role } from '../../service/store/keys';
import { ManualClock } from './clock';
import { createTestDatabase, type TestDatabase } from './database';

export type TestService = {
  database: TestDatabase;
  clock: ManualClock;
  config: Config;
  app: ReturnType<typeof createApp>['app'];
  routes: ReturnType<typeof createApp>['routes'];
  http: ReturnType<typeof supertest>;
  /** A new key with that role in that workspace (created when missing). */
  key(role: Role, workspace?: string): Promise<string>;
  /** Requests with an admin key of the default test workspace already set. */
  as(key: string): AuthedAgent;
  admin: AuthedAgent;
  engine: ScoringEngine;
  /** Runs queued background jobs (publishes) to completion, as a worker would. */
  runJobs(): Promise<number>;
  /** One pass of the time-driven crossing scheduler (until nothing is due). */
  runScheduler(): Promise<number>;
  /** A webhook dispatcher on this database (private targets allowed, jitter pinned). */
  dispatcher(options?: DispatcherOptions): Dispatcher;
  /** Another worker on the same database (e.g. to simulate a crash and a resume). */
  worker(options?: WorkerOptions): JobWorker;
  close(): Promise<void>;
};

export type AuthedAgent = {
  get(path: string): supertest.Test;
  post(path: string, body?: unknown): supertest.Test;
  put(path: string, body?: unknown): supertest.Test;
  delete(path: string): supertest.Test;
};

export async function startTestService(
  options: { clock?: Clock; config?: Partial<Config>; batchSize?: number } = {},
): Promise<TestService> {
  const database = await createTestDatabase();
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const config: Config = {
    ...loadConfig({}),
    rateLimitPerSecond: 0,
    runWorkers: false,
    allowPrivateWebhookTargets: true,
    ...options.config,
  };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const engine = new ScoringEngine(new CrossingDetector());
  const { app, routes } = createApp({ db: database.db, clock, logger, config, engine });
  const worker = new JobWorker({ db: database.db, clock, logger, engine }, { batchSize: options.batchSize ?? 50 });
  const http = supertest(app);

  const key = async (role: Role, workspace = 'test') => {
    const { id } = await ensureWorkspace(database.db, workspace);
    return (await insertApiKey(database.db, { workspaceId: id, role, name: `${role} test key`, origin: 'cli' })).key;
  };
  const as = (apiKey: string): AuthedAgent => {
    const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${apiKey}`);
    return {
      get: (path) => auth(http.get(path)),
      post: (path, body) => (body === undefined ? auth(http.post(path)) : auth(http.post(path)).send(body as object)),
      put: (path, body) => (body === undefined ? auth(http.put(path)) : auth(http.put(path)).send(body as object)),
      delete: (path) => auth(http.delete(path)),
    };
  };
  const admin = as(await key('admin'));
  return {
    database,
    clock,
    config,
    app,
    routes,
    http,
    engine,
    key,
    as,
    admin,
    runJobs: () => worker.drain(),
    runScheduler: () => new CrossingScheduler({ db: database.db, clock, logger, engine }).drain(),
    dispatcher: (dispatcherOptions = {}) =>
      new Dispatcher(
        { db: database.db, clock, logger },
        { allowPrivateTargets: true, timeoutMs: 2000, random: () => 0.5, ...dispatcherOptions },
      ),
    worker: (workerOptions) =>
      new JobWorker({ db: database.db, clock, logger, engine }, { batchSize: options.batchSize ?? 50, ...workerOptions }),
    close: () => database.drop(),
  };
}
