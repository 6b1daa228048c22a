import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import type { Db } from '../store/db';

/** What every background job runs with (built by the JobWorker). */
export type JobContext = {
  db: Db;
  clock: Clock;
  logger: Logger;
  engine: ScoringEngine;
  workerId: string;
  leaseMs: number;
  batchSize: number;
  /** How many batches of contacts a publish computes side by side (default 2, one per core here). */
  parallelBatches?: number;
  /** Test hook: stop as if the process died after this many batches (the lease stays taken). */
  stopAfterBatches?: number;
  /** True once the service is stopping: long jobs return 'stopped' at their next batch boundary. */
  shouldStop?: () => boolean;
};

/** Thrown when another worker took a job over (its lease ran out): this worker lets go of it. */
export class JobLost extends Error {}
