import pino from 'pino';
import supertest from 'supertest';
import type { Clock } from '../../service/clock';
import { loadConfig, type Config } from '../../service/config';
import { createApp } from '../../service/http/app';
import { Dispatcher, type DispatcherOptions } from '../../service/jobs/dispatcher';
import { ScoringWorker, type ScoringWorkerOptions } from '../../service/jobs/scoring-worker';
import { ReadCaches } from '../../service/app/caches';
import { DatabaseScoringProgress, DrivenScoringProgress } from '../../service/app/consistency';
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
  /** Scores the log and takes the time steps that are due (expiries, decay reaching a watched level), as the scoring worker would; returns how many contacts were due. */
  runScheduler(): Promise<number>;
  /** Scores what the log holds (writes through `admin`/`as` do it after each request). */
  score(): Promise<number>;
  /** The in-process scoring worker (claims every partition). */
  scoring: ScoringWorker;
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
  options: { clock?: Clock; config?: Partial<Config>; batchSize?: number; scoring?: ScoringWorkerOptions } = {},
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
  const scoring = new ScoringWorker({ db: database.db, clock, logger, engine }, { workerId: 'test-scoring', ...options.scoring });
  // Reading one's own writes drives the scoring (nothing runs in the background in tests).
  const waiting = new DatabaseScoringProgress(database.db, logger);
  const progress = new DrivenScoringProgress(waiting, () => scoring.drainLog());
  const caches = new ReadCaches(database.db, logger);
  const { app, routes } = createApp({ db: database.db, clock, logger, config, engine, progress, caches });
  const worker = new JobWorker({ db: database.db, clock, logger, engine }, { batchSize: options.batchSize ?? 50 });
  const http = supertest(app);

  const key = async (role: Role, workspace = 'test') => {
    const { id } = await ensureWorkspace(database.db, workspace);
    return (await insertApiKey(database.db, { workspaceId: id, role, name: `${role} test key`, origin: 'cli' })).key;
  };
  const as = (apiKey: string): AuthedAgent => {
    const auth = (test: supertest.Test) => test.set('Authorization', `Bearer ${apiKey}`);
    // After a write answers, what it appended to the log is scored, as the worker would right after:
    // tests read their own writes without passing tokens (test/service/pipeline.test.ts covers tokens).
    const scored = (test: supertest.Test) => {
      const then = test.then.bind(test);
      test.then = ((onFulfilled, onRejected) =>
        then(async (response) => {
          await scoring.drainLog();
          return response;
        }).then(onFulfilled, onRejected)) as typeof test.then;
      return test;
    };
    return {
      get: (path) => auth(http.get(path)),
      post: (path, body) => scored(body === undefined ? auth(http.post(path)) : auth(http.post(path)).send(body as object)),
      put: (path, body) => scored(body === undefined ? auth(http.put(path)) : auth(http.put(path)).send(body as object)),
      delete: (path) => scored(auth(http.delete(path))),
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
    runScheduler: async () => {
      const before = scoring.stats.timeSteps;
      await scoring.drainLog({ timeSteps: true });
      return scoring.stats.timeSteps - before;
    },
    score: () => scoring.drainLog(),
    scoring,
    dispatcher: (dispatcherOptions = {}) =>
      new Dispatcher(
        { db: database.db, clock, logger },
        { allowPrivateTargets: true, timeoutMs: 2000, random: () => 0.5, ...dispatcherOptions },
      ),
    worker: (workerOptions) =>
      new JobWorker({ db: database.db, clock, logger, engine }, { batchSize: options.batchSize ?? 50, ...workerOptions }),
    close: async () => {
      await scoring.stop();
      await waiting.close();
      await caches.close();
      await database.drop();
    },
  };
}
