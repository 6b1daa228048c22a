import { bootstrap } from './bootstrap';
import { systemClock } from './clock';
import { ConfigError, loadConfig, type Config } from './config';
import { createApp } from './http/app';
import { ListenError, startHttpServer, type HttpServer } from './http/server';
import { Dispatcher } from './jobs/dispatcher';
import { RetentionSweeper } from './jobs/retention';
import { ScoringThread } from './jobs/scoring-host';
import { JobWorker } from './jobs/worker';
import { createLogger, type Logger } from './logger';
import { CrossingDetector } from './scoring/crossings';
import { ScoringEngine } from './scoring/engine';
import { ReadCaches } from './app/caches';
import { DatabaseScoringProgress } from './app/consistency';
import { createPool, isDatabaseUnavailable, type Db } from './store/db';
import { EmbeddedStartError, startEmbedded, type EmbeddedDatabase } from './store/embedded';
import { migrate } from './store/migrate';

/** `npm start`: the service on DATABASE_URL, or on an embedded PostgreSQL whose data stays in DATA_DIR. */
let embedded: EmbeddedDatabase | undefined;

/** Logs lost database connections at most once every few seconds (an outage loses many at once). */
function connectionErrorReporter(logger: Logger): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    logger.warn({ err: error }, 'a database connection was lost; it is replaced on the next use');
  };
}

function startBackgroundWork(
  config: Config,
  databaseUrl: string,
  background: { db: Db; clock: typeof systemClock; logger: Logger; engine: ScoringEngine },
) {
  if (!config.runWorkers) return [];
  return [
    new JobWorker(background),
    // In a thread of their own; two workers there by default: while one computes, the other's writes run in PostgreSQL.
    ...(config.scoringWorkers > 0
      ? [
          new ScoringThread(
            {
              databaseUrl,
              poolSize: 2 * config.scoringWorkers + 2,
              logLevel: config.logLevel,
              workers: config.scoringWorkers,
              pollMs: config.scoringPollMs,
            },
            background.logger,
          ),
        ]
      : []),
    new Dispatcher(background, {
      timeoutMs: config.webhookTimeoutMs,
      retryForMs: config.webhookRetryHours * 3_600_000,
      allowPrivateTargets: config.allowPrivateWebhookTargets,
      concurrency: config.webhookConcurrency,
    }),
    new RetentionSweeper(background, { retentionDays: config.retentionDays }),
  ];
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // A promise nobody awaited must not end a service that is otherwise fine; it is a bug to log.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info({ dataDir: config.dataDir }, 'starting the embedded PostgreSQL (set DATABASE_URL to use your own server)');
    embedded = await startEmbedded({ dataDir: config.dataDir, log: (message) => logger.info(message) });
    databaseUrl = embedded.url;
  }

  const applied = await migrate(databaseUrl, logger);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const db = createPool(databaseUrl, config.databasePoolSize, connectionErrorReporter(logger));
  const started = await bootstrap(db, config, systemClock.now());
  const engine = new ScoringEngine(new CrossingDetector());
  const progress = new DatabaseScoringProgress(db, logger);
  const caches = new ReadCaches(db, logger);
  const workers = startBackgroundWork(config, databaseUrl, { db, clock: systemClock, logger, engine });
  const background = () => workers.flatMap((worker) => worker.health());
  const { app } = createApp({ db, clock: systemClock, logger, config, engine, progress, caches, background });
  const http: HttpServer = await startHttpServer(app, config.port, config.host);
  await Promise.all(workers.map((worker) => worker.start()));
  const base = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${http.port}`;

  if (started.firstAdminKey) {
    console.log(
      [
        '',
        `Created workspace "${started.workspace.name}". Its admin API key (shown only this once; keep it safe):`,
        '',
        `  ${started.firstAdminKey}`,
        '',
      ].join('\n'),
    );
  }
  console.log(
    `Engagement Score is listening on ${base}\n  console:   ${base}/admin/\n  API docs:  ${base}/docs\n  try:       curl -H "Authorization: Bearer <key>" ${base}/v1/me`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, inFlight: http.inFlight }, 'stopping: answering the requests in flight first');
    const cutOff = await http.close(config.shutdownTimeoutMs);
    if (cutOff > 0)
      logger.warn(
        { requests: cutOff, timeoutMs: config.shutdownTimeoutMs },
        'requests still running at the shutdown deadline were cut off',
      );
    await Promise.all(workers.map((worker) => worker.stop()));
    await progress.close();
    await caches.close();
    await db.end();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(async (error: unknown) => {
  const known = error instanceof ListenError || error instanceof EmbeddedStartError;
  const reason = known
    ? error.message
    : isDatabaseUnavailable(error)
      ? `the database is not reachable (${(error as Error).message}); check DATABASE_URL and that PostgreSQL is running`
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`Engagement Score failed to start: ${reason}`);
  if (!known && !isDatabaseUnavailable(error) && error instanceof Error && error.stack) console.error(error.stack);
  await embedded?.stop().catch(() => undefined);
  process.exit(1);
});
