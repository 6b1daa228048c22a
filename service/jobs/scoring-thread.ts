import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../clock';
import { createLogger } from '../logger';
import { CrossingDetector } from '../scoring/crossings';
import { ScoringEngine } from '../scoring/engine';
import { createPool } from '../store/db';
import { ScoringWorker } from './scoring-worker';

/**
 * The scoring workers' own thread (started by ScoringThread in scoring-host.ts): scoring is the
 * service's heaviest JavaScript, and here it neither competes with requests on the main event loop
 * nor leaves the machine's other core to PostgreSQL alone. It has its own pool and engine; it stops
 * when told to, giving its partitions back.
 */

/** How often the thread tells its host how its loops are doing. */
export const HEALTH_REPORT_MS = 2_000;

export type ScoringThreadInput = { databaseUrl: string; poolSize: number; logLevel: string; workers: number; pollMs: number };

async function run(): Promise<void> {
  const input = workerData as ScoringThreadInput;
  const logger = createLogger(input.logLevel).child({ thread: 'scoring' });
  const db = createPool(input.databaseUrl, input.poolSize, (error) => logger.debug({ err: error }, 'a scoring connection was lost'));
  const engine = new ScoringEngine(new CrossingDetector());
  const workers = Array.from(
    { length: input.workers },
    () =>
      new ScoringWorker(
        { db, clock: systemClock, logger, engine },
        // The host counts them in the process's /metrics.
        { pollMs: input.pollMs, onTimeSteps: (seconds, due) => parentPort!.postMessage({ type: 'time-steps', seconds, due }) },
      ),
  );
  // How the loops are doing, for the host's /readyz (a report older than a minute means this thread is stuck).
  const report = () => parentPort!.postMessage({ type: 'health', loops: workers.flatMap((worker) => worker.health()) });
  const reporting = setInterval(report, HEALTH_REPORT_MS);
  parentPort!.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      clearInterval(reporting);
      await Promise.all(workers.map((worker) => worker.stop()));
      await db.end();
      parentPort!.postMessage({ type: 'stopped' });
    })();
  });
  await Promise.all(workers.map((worker) => worker.start()));
  report();
  parentPort!.postMessage({ type: 'started' });
}

void run().catch((error: unknown) => {
  parentPort!.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
