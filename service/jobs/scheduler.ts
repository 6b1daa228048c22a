import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import { transaction, type Db } from '../store/db';
import { watchedVersion } from '../store/profiles';
import { claimDueScores } from '../store/scores';
import { WakeLoop } from './wake-loop';

export type SchedulerOptions = { batchSize?: number; intervalMs?: number };

/**
 * Time-driven crossings: every contact's next moment of interest (an expiry, or decay reaching a
 * watched level) is stored in scores.due_at; each pass claims only the rows now due
 * (FOR UPDATE SKIP LOCKED: instances share the work) and moves them to now, which reports the
 * crossings on the way with their true times. A pass costs O(due rows), not O(contacts).
 */
export class CrossingScheduler {
  private readonly batchSize: number;
  private readonly loop: WakeLoop;

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; engine: ScoringEngine },
    options: SchedulerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.loop = new WakeLoop({
      db: deps.db,
      logger: deps.logger,
      pollMs: options.intervalMs ?? 5000,
      name: 'crossing scheduler',
      drain: () => this.drain(),
    });
  }

  get loopState(): WakeLoop {
    return this.loop;
  }

  /** One batch; returns how many contacts were due. */
  async runOnce(): Promise<number> {
    const { db, clock, engine } = this.deps;
    return transaction(db, async (client) => {
      const now = clock.now();
      const due = await claimDueScores(client, now, this.batchSize);
      const byVersion = new Map<string, { workspaceId: string; versionId: number; ids: string[] }>();
      for (const row of due) {
        const key = `${row.workspaceId}/${row.versionId}`;
        const group = byVersion.get(key) ?? { workspaceId: row.workspaceId, versionId: row.versionId, ids: [] };
        group.ids.push(row.contactId);
        byVersion.set(key, group);
      }
      for (const group of byVersion.values()) {
        const row = await watchedVersion(client, group.workspaceId, group.versionId);
        if (!row) continue;
        await engine.advanceContacts(client, group.workspaceId, engine.activate(row), group.ids, now.getTime());
      }
      return due.length;
    });
  }

  /** Passes until nothing is due. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.runOnce();
      total += count;
      if (count < this.batchSize || this.loop.stopped) return total;
    }
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
