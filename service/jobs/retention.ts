import type { LoopHealth } from './loop-health';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Db } from '../store/db';
import { purgeFinishedDeliveries } from '../store/deliveries';
import { purgeFinishedJobs } from '../store/jobs';
import { WakeLoop } from './wake-loop';

export type RetentionOptions = { retentionDays: number; intervalMs?: number; batchSize?: number };

/**
 * Forgets what is finished and old: deliveries that were delivered, failed or cancelled, and jobs that
 * succeeded or failed, once older than the retention period. Small batches, each its own statement, so
 * the tables are never locked for long; any instance may run it alongside the others.
 */
export class RetentionSweeper {
  private readonly loop: WakeLoop;
  private readonly batchSize: number;

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger },
    private readonly options: RetentionOptions,
  ) {
    this.batchSize = options.batchSize ?? 1000;
    this.loop = new WakeLoop({
      db: deps.db,
      logger: deps.logger,
      pollMs: options.intervalMs ?? 3_600_000,
      name: 'retention sweeper',
      drain: () => this.runOnce(),
    });
  }

  get loopState(): WakeLoop {
    return this.loop;
  }

  /** Purges everything that is due; returns how many rows of each kind went. */
  async runOnce(): Promise<{ deliveries: number; jobs: number }> {
    const before = new Date(this.deps.clock.now().getTime() - this.options.retentionDays * 86_400_000);
    const purged = { deliveries: 0, jobs: 0 };
    for (const [kind, purge] of [
      ['deliveries', purgeFinishedDeliveries],
      ['jobs', purgeFinishedJobs],
    ] as const) {
      for (;;) {
        const count = await purge(this.deps.db, before, this.batchSize);
        purged[kind] += count;
        if (count < this.batchSize || this.loop.stopped) break;
      }
    }
    if (purged.deliveries + purged.jobs > 0)
      this.deps.logger.info({ ...purged, before: before.toISOString() }, 'purged finished deliveries and jobs past their retention');
    return purged;
  }

  health(): LoopHealth[] {
    return [this.loop.health()];
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
