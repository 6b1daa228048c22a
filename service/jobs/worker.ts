import type { LoopHealth } from './loop-health';
import { jobRunSeconds } from '../metrics';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import { isDatabaseUnavailable, type Db } from '../store/db';
import { Channel } from '../store/notifications';
import { claimJob, finishJob, releaseJob, type Job } from '../store/jobs';
import { runImpactJob } from './impact';
import { WakeLoop } from './wake-loop';
import { JobLost, type JobContext } from './job-context';
import { failPublishJob, runPublishJob } from './publish';
import { runPurgeJob } from './purge-version';
import { runRescheduleJob } from './reschedule';

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
  impact: runImpactJob,
};

/** Runs background jobs claimed through the database; any number of instances can run one. */
export class JobWorker {
  readonly workerId: string;
  private readonly context: JobContext;
  private readonly loop: WakeLoop;
  private interrupted: Job | undefined;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; engine: ScoringEngine }, options: WorkerOptions = {}) {
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.context = {
      ...deps,
      workerId: this.workerId,
      leaseMs: options.leaseMs ?? 60_000,
      batchSize: options.batchSize ?? 4000,
      stopAfterBatches: options.stopAfterBatches,
      parallelBatches: options.parallelBatches,
      shouldStop: () => this.loop.stopped,
    };
    this.loop = new WakeLoop({
      db: deps.db,
      logger: deps.logger,
      channel: Channel.jobs,
      pollMs: options.pollMs ?? 1000,
      name: 'job worker',
      drain: () => this.drain(),
    });
  }

  /** Claims and runs one job; false when none was waiting. */
  async runOnce(): Promise<boolean> {
    // A job interrupted by an outage is given back first, so it resumes now rather than when its lease ends.
    if (this.interrupted) {
      await releaseJob(this.context.db, this.interrupted, this.workerId, 'interrupted: the database was unavailable', false);
      this.interrupted = undefined;
    }
    const job = await claimJob(this.context.db, this.workerId, this.context.clock.now(), this.context.leaseMs, Object.keys(handlers));
    if (!job) return false;
    const log = this.context.logger.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    const timer = jobRunSeconds.startTimer({ kind: job.kind });
    let outcome = 'released';
    try {
      const result = await handlers[job.kind](job, this.context);
      if (result !== 'stopped') outcome = 'succeeded';
      // Stopped between batches because the service is stopping: another instance (or the next start) resumes it.
      if (result === 'stopped' && this.loop.stopped)
        await releaseJob(this.context.db, job, this.workerId, 'interrupted: the service stopped', false);
    } catch (error) {
      if (error instanceof JobLost) {
        log.warn(error.message);
      } else if (isDatabaseUnavailable(error)) {
        // Not the job's fault: it does not count as an attempt, and is given back once the database answers.
        log.warn({ err: error }, 'job interrupted: the database is unavailable; it resumes from its last committed batch');
        this.interrupted = job;
        throw error;
      } else if (job.attempts < MAX_ATTEMPTS) {
        log.warn({ err: error }, 'job attempt failed; it will be retried from its last committed batch');
        await releaseJob(this.context.db, job, this.workerId, (error as Error).message);
      } else {
        log.error({ err: error }, 'job failed');
        outcome = 'failed';
        if (job.kind === 'publish') await failPublishJob(job, this.context, error as Error);
        else await finishJob(this.context.db, job, this.workerId, 'failed', this.context.clock.now(), (error as Error).message);
      }
    } finally {
      timer({ outcome });
    }
    return true;
  }

  /** Runs jobs until none is waiting (tests, and each wake-up of the loop). */
  async drain(): Promise<number> {
    let count = 0;
    while (!this.loop.stopped && (await this.runOnce())) count++;
    return count;
  }

  health(): LoopHealth[] {
    return [this.loop.health()];
  }

  /** Polls, and wakes at once when a job is queued (LISTEN/NOTIFY). */
  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
