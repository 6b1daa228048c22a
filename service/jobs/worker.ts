import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import type { Db } from '../store/db';
import { claimJob, finishJob, releaseJob, type Job } from '../store/jobs';
import { JobLost, failPublishJob, runPublishJob, runPurgeJob, runRescheduleJob, type JobContext } from './publish';

export type WorkerOptions = {
  workerId?: string;
  /** How long a claimed job stays ours without progress before another instance may resume it. */
  leaseMs?: number;
  batchSize?: number;
  pollMs?: number;
  stopAfterBatches?: number;
  parallelBatches?: number;
};

const MAX_ATTEMPTS = 3;

const handlers: Record<string, (job: Job, context: JobContext) => Promise<'finished' | 'stopped'>> = {
  publish: runPublishJob,
  'purge-version': runPurgeJob,
  reschedule: runRescheduleJob,
};

/** Runs background jobs claimed through the database; any number of instances can run one. */
export class JobWorker {
  readonly workerId: string;
  private readonly context: JobContext;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; engine: ScoringEngine }, private readonly options: WorkerOptions = {}) {
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.context = {
      ...deps,
      workerId: this.workerId,
      leaseMs: options.leaseMs ?? 60_000,
      batchSize: options.batchSize ?? 4000,
      stopAfterBatches: options.stopAfterBatches,
      parallelBatches: options.parallelBatches,
    };
  }

  /** Claims and runs one job; false when none was waiting. */
  async runOnce(): Promise<boolean> {
    const job = await claimJob(this.context.db, this.workerId, this.context.clock.now(), this.context.leaseMs, Object.keys(handlers));
    if (!job) return false;
    const log = this.context.logger.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      await handlers[job.kind]!(job, this.context);
    } catch (error) {
      if (error instanceof JobLost) {
        log.warn(error.message);
      } else if (job.attempts < MAX_ATTEMPTS) {
        log.warn({ err: error }, 'job attempt failed; it will be retried from its last committed batch');
        await releaseJob(this.context.db, job, this.workerId, (error as Error).message);
      } else {
        log.error({ err: error }, 'job failed');
        if (job.kind === 'publish') await failPublishJob(job, this.context, error as Error);
        else await finishJob(this.context.db, job, this.workerId, 'failed', this.context.clock.now(), (error as Error).message);
      }
    }
    return true;
  }

  /** Runs jobs until none is waiting (tests, and each wake-up of the loop). */
  async drain(): Promise<number> {
    let count = 0;
    while (!this.stopped && (await this.runOnce())) count++;
    return count;
  }

  /** Polls, and wakes at once when a job is queued (LISTEN/NOTIFY). */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      this.listener = await this.context.db.connect();
      this.listener.on('notification', () => this.wake());
      await this.listener.query('LISTEN engagement_score_jobs');
    } catch (error) {
      this.context.logger.warn({ err: error }, 'job notifications unavailable; polling only');
    }
    const tick = () => {
      this.wake();
      if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs ?? 1000);
    };
    tick();
  }

  private wake(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => this.context.logger.error({ err: error }, 'job worker error'))
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.listener) {
      await this.listener.query('UNLISTEN *').catch(() => undefined);
      this.listener.release();
      this.listener = undefined;
    }
  }
}
