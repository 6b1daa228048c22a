import type { Server } from 'node:http';
import { bootstrap } from './bootstrap';
import { systemClock } from './clock';
import { ConfigError, loadConfig } from './config';
import { createApp } from './http/app';
import { Dispatcher } from './jobs/dispatcher';
import { CrossingScheduler } from './jobs/scheduler';
import { JobWorker } from './jobs/worker';
import { CrossingDetector } from './scoring/crossings';
import { ScoringEngine } from './scoring/engine';
import { createLogger } from './logger';
import { createPool } from './store/db';
import { startEmbedded, type EmbeddedDatabase } from './store/embedded';
import { migrate } from './store/migrate';

/** `npm start`: the service on DATABASE_URL, or on an embedded PostgreSQL whose data stays in DATA_DIR. */
let embedded: EmbeddedDatabase | undefined;

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

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info({ dataDir: config.dataDir }, 'starting the embedded PostgreSQL (set DATABASE_URL to use your own server)');
    embedded = await startEmbedded({ dataDir: config.dataDir });
    databaseUrl = embedded.url;
  }

  const applied = await migrate(databaseUrl, logger);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const db = createPool(databaseUrl, config.databasePoolSize);
  const started = await bootstrap(db, config, systemClock.now());
  const engine = new ScoringEngine(new CrossingDetector());
  const { app } = createApp({ db, clock: systemClock, logger, config, engine });
  const background = { db, clock: systemClock, logger, engine };
  const worker = config.runWorkers ? new JobWorker(background) : undefined;
  const scheduler = config.runWorkers ? new CrossingScheduler(background, { intervalMs: config.schedulerIntervalMs }) : undefined;
  const dispatcher = config.runWorkers
    ? new Dispatcher(background, { timeoutMs: config.webhookTimeoutMs, retryForMs: config.webhookRetryHours * 3_600_000, allowPrivateTargets: config.allowPrivateWebhookTargets })
    : undefined;
  await worker?.start();
  scheduler?.start();
  await dispatcher?.start();

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.on('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.publicUrl ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

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
  console.log(`Engagement Score is listening on ${base}\n  API docs:  ${base}/docs\n  try:       curl -H "Authorization: Bearer <key>" ${base}/v1/me`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await Promise.all([worker?.stop(), scheduler?.stop(), dispatcher?.stop()]);
    await db.end();
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch(async (error: unknown) => {
  console.error('Engagement Score failed to start:', error instanceof Error ? error.message : error);
  await embedded?.stop().catch(() => undefined);
  process.exit(1);
});
