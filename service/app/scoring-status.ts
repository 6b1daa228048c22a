import { backlog } from '../store/scoring-log';
import { logBlocker, scoringWorkers, type LogBlocker } from '../store/scoring-ops';
import { partitionStates, PARTITIONS } from '../store/scoring-partitions';
import type { AppContext } from './context';

/** How far behind the scoring is, who is scoring, and what holds it back (GET /v1/ops/scoring and /metrics). */

export type ScoringStatus = {
  /** Interactions accepted but not scored yet, and when the oldest of them was received. */
  backlog: { interactions: number; oldestReceivedAt: string | null };
  /** How long the oldest interaction not scored yet has waited (0 when the log is scored). */
  lagSeconds: number;
  /** Interactions scored per second over the last 10 s, all workers together. */
  perSecond: number;
  partitions: { total: number; unowned: number };
  workers: { workerId: string; partitions: number; perSecond: number; lastPassMs: number | null; seenAt: string; startedAt: string }[];
  /** A transaction open for more than a second that the log waits for (positions are transaction ids). */
  blockedBy: (Omit<LogBlocker, 'transactionStartedAt'> & { transactionStartedAt: string | null }) | null;
};

/** A worker whose heartbeat is older than this is gone (its partitions are taken over once their lease runs out). */
const ALIVE_MS = 15_000;

export async function scoringStatus(ctx: Pick<AppContext, 'db' | 'clock'>): Promise<ScoringStatus> {
  const now = ctx.clock.now().getTime();
  const [pending, partitions, workers, blocker] = await Promise.all([
    backlog(ctx.db),
    partitionStates(ctx.db),
    scoringWorkers(ctx.db),
    logBlocker(ctx.db),
  ]);
  const alive = workers.filter((worker) => Date.now() - worker.seenAt.getTime() < ALIVE_MS);
  return {
    backlog: { interactions: pending.rows, oldestReceivedAt: pending.oldestAt?.toISOString() ?? null },
    lagSeconds: pending.oldestAt ? Math.max(0, (now - pending.oldestAt.getTime()) / 1000) : 0,
    perSecond: alive.reduce((sum, worker) => sum + worker.perSecond, 0),
    partitions: {
      total: PARTITIONS,
      unowned: partitions.filter((state) => state.owner === null || (state.leaseUntil?.getTime() ?? 0) < Date.now()).length,
    },
    workers: alive.map((worker) => ({
      workerId: worker.workerId,
      partitions: worker.partitions,
      perSecond: worker.perSecond,
      lastPassMs: worker.lastPassMs,
      seenAt: worker.seenAt.toISOString(),
      startedAt: worker.startedAt.toISOString(),
    })),
    blockedBy: blocker && { ...blocker, transactionStartedAt: blocker.transactionStartedAt?.toISOString() ?? null },
  };
}
