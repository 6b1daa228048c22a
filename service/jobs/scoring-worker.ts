import type { LoopHealth } from './loop-health';
import { timeStepContacts, timeStepSeconds } from '../metrics';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { ScoringEngine } from '../scoring/engine';
import { transaction, type Db } from '../store/db';
import { Channel, notify } from '../store/notifications';
import { committedBelow, forgetScoredTransactions, logEnd, readLog, windowEnd } from '../store/scoring-log';
import { forgetWorker, recordHeartbeat } from '../store/scoring-ops';
import {
  advancePartitions,
  claimPartitions,
  fairShare,
  lockOwnPartitions,
  partitionOf,
  PARTITIONS,
  releasePartitions,
  scoredBelow,
  type PartitionState,
} from '../store/scoring-partitions';
import { WakeLoop } from './wake-loop';
import { sweepSegmentWindows } from '../scoring/segment-watcher';

export type ScoringWorkerOptions = {
  workerId?: string;
  /** How long a partition stays this worker's without renewal (another instance takes it over after). */
  leaseMs?: number;
  pollMs?: number;
  /**
   * At most about this many events per pass, when catching up (under a steady load a pass takes what
   * came since the last one). Larger windows write fewer anchors per interaction: measured on the
   * benchmark's data, 20,000 → 100,000 took a backlog from 29k to 51k interactions/s.
   */
  maxRows?: number;
  /** Contacts whose time step (expiry, decay crossing) is due, per pass. */
  dueBatch?: number;
  /** Told after each time-step pass: its duration and how many contacts were due (for /metrics). */
  onTimeSteps?: (seconds: number, due: number) => void;
};

const RATE_WINDOW_MS = 10_000;

export type ScoringStats = {
  passes: number;
  interactions: number;
  contacts: number;
  timeSteps: number;
  lastPassAt: number | null;
  lastPassMs: number | null;
};

/**
 * Drains the log (store/scoring-log.ts) in order, one transaction per window, for the partitions this
 * worker holds: it claims a fair share under a lease (renewed with every pass), and holds their row
 * locks while it scores, so no other worker — nor a publish or a reschedule — writes their contacts
 * meanwhile. Once the log is scored, it takes the time steps of its partitions (expiries, decay
 * reaching a watched level), so time only moves a contact once what came before is scored.
 */
/** Where time-step passes are counted when no one else is told (a worker thread reports them to its host). */
function observeTimeSteps(seconds: number, due: number): void {
  timeStepSeconds.observe(seconds);
  timeStepContacts.inc(due);
}

export class ScoringWorker {
  readonly workerId: string;
  private readonly loop: WakeLoop;
  private readonly options: Required<Omit<ScoringWorkerOptions, 'workerId'>>;
  private owned: number[] = [];
  private claimedAt = 0;
  readonly stats: ScoringStats = { passes: 0, interactions: 0, contacts: 0, timeSteps: 0, lastPassAt: null, lastPassMs: null };
  private readonly startedAt = new Date();
  /** Interactions scored per pass over the last RATE_WINDOW_MS, for the rate the heartbeat reports. */
  private readonly recent: { at: number; interactions: number }[] = [];
  private heartbeatAt = 0;

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; engine: ScoringEngine },
    options: ScoringWorkerOptions = {},
  ) {
    this.workerId = options.workerId ?? `${os.hostname()}:${process.pid}:scoring:${randomUUID().slice(0, 8)}`;
    this.options = {
      leaseMs: options.leaseMs ?? 5_000,
      pollMs: options.pollMs ?? 250,
      maxRows: options.maxRows ?? 100_000,
      dueBatch: options.dueBatch ?? 500,
      onTimeSteps: options.onTimeSteps ?? observeTimeSteps,
    };
    this.loop = new WakeLoop({
      db: deps.db,
      logger: deps.logger,
      channel: Channel.log,
      pollMs: this.options.pollMs,
      name: 'scoring worker',
      drain: () => this.drain(),
    });
  }

  get loopState(): WakeLoop {
    return this.loop;
  }

  health(): LoopHealth[] {
    return [this.loop.health()];
  }

  /** The partitions this worker holds (as of its last claim or pass). */
  get partitions(): readonly number[] {
    return this.owned;
  }

  /** Scores the log until it is caught up, then the time steps; returns how many interactions were scored. */
  async drain(): Promise<number> {
    await this.claim();
    let scored = 0;
    for (;;) {
      const pass = await this.pass();
      scored += pass.interactions;
      if (!pass.more || this.loop.stopped) break;
    }
    if (!this.loop.stopped) await this.timeSteps();
    await this.heartbeat();
    return scored;
  }

  /** Interactions scored per second over the last RATE_WINDOW_MS. */
  get perSecond(): number {
    const since = Date.now() - RATE_WINDOW_MS;
    while (this.recent.length > 0 && this.recent[0].at < since) this.recent.shift();
    const window = Math.min(RATE_WINDOW_MS, Date.now() - this.startedAt.getTime());
    return window > 0 ? (this.recent.reduce((sum, pass) => sum + pass.interactions, 0) * 1000) / window : 0;
  }

  /** About once a second: this worker's partitions and rate where people and /metrics see them (store/scoring-ops.ts). */
  private async heartbeat(force = false): Promise<void> {
    if (!force && Date.now() - this.heartbeatAt < 1000) return;
    this.heartbeatAt = Date.now();
    const beat = {
      workerId: this.workerId,
      startedAt: this.startedAt,
      partitions: this.owned.length,
      scoredTotal: this.stats.interactions,
      perSecond: this.perSecond,
      lastPassMs: this.stats.lastPassMs,
    };
    await recordHeartbeat(this.deps.db, beat, new Date()).catch((error: unknown) =>
      this.deps.logger.debug({ err: error }, 'scoring heartbeat not recorded'),
    );
  }

  /**
   * Scores everything committed before the call (and the time steps, with `timeSteps`): what a process
   * without the background loop (tests, the benchmark) does to read its own writes. Positions are
   * transaction ids, so a transaction still open elsewhere on the server holds the log back: this waits
   * for it, up to `timeoutMs`.
   */
  async drainLog(options: { timeSteps?: boolean; timeoutMs?: number } = {}): Promise<number> {
    const target = await logEnd(this.deps.db);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let scored = 0;
    for (;;) {
      await this.claim();
      const pass = await this.pass();
      scored += pass.interactions;
      if (pass.more) continue;
      if ((await scoredBelow(this.deps.db, null)) >= target) break;
      if (Date.now() > deadline)
        throw new Error(
          `the scoring log is not scored up to ${target} after ${options.timeoutMs ?? 60_000} ms: a transaction elsewhere on the server holds it back`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (options.timeSteps) await this.timeSteps();
    return scored;
  }

  /**
   * Says this worker is alive, then holds a fair share of the partitions (the partitions divided among
   * the live workers): free ones and those whose lease ran out are taken, a surplus is given back for a
   * newcomer to take. Leases are in real time whatever the clock the scores are computed with.
   */
  private async claim(): Promise<void> {
    if (this.owned.length > 0 && Date.now() - this.claimedAt < this.options.leaseMs / 3) return;
    this.claimedAt = Date.now();
    await this.heartbeat(true);
    const now = new Date();
    const share = await fairShare(this.deps.db, this.workerId, now, this.options.leaseMs);
    const held = await claimPartitions(this.deps.db, this.workerId, now, this.options.leaseMs, share);
    await releasePartitions(this.deps.db, this.workerId, { except: held });
    this.owned = held;
  }

  /**
   * One window of the log for the partitions held, from the lowest of their positions, in one
   * transaction with their row locks held. Partitions further on (taken over from another worker,
   * which had scored them further) skip what they have scored already.
   */
  private async pass(): Promise<{ interactions: number; more: boolean }> {
    if (this.owned.length === 0) return { interactions: 0, more: false };
    const started = Date.now();
    const result = await transaction(this.deps.db, async (client) => {
      const states = await lockOwnPartitions(client, this.workerId, this.owned);
      this.owned = states.map((state) => state.partition);
      if (states.length === 0) return { interactions: 0, more: false };
      const from = Math.min(...states.map((state) => state.scoredBelow));
      // The moment of the snapshot: once the window reaches its xmin, everything received before is scored.
      const snapshotAt = this.deps.clock.now();
      const below = await committedBelow(client);
      const end = from >= below ? from : await windowEnd(client, from, below, this.options.maxRows);
      let events = end > from ? await readLog(client, this.owned, from, end) : [];
      if (states.some((state) => state.scoredBelow > from)) {
        const position = new Map(states.map((state) => [state.partition, state.scoredBelow]));
        events = events.filter((event) => event.txid >= position.get(partitionOf(event.contactId))!);
      }
      const stats = events.length > 0 ? await this.deps.engine.scoreLog(client, events) : { interactions: 0, contacts: 0 };
      const caughtUp = end >= below;
      await advancePartitions(client, this.workerId, this.owned, end, caughtUp ? snapshotAt : null, new Date(), this.options.leaseMs);
      this.stats.interactions += stats.interactions;
      this.stats.contacts += stats.contacts;
      if (end > from) await notify(client, Channel.scored, String(end));
      // Now and then, the log's bookkeeping of transactions every partition has passed.
      if (this.stats.passes % 20 === 0) await forgetScoredTransactions(client);
      return { interactions: stats.interactions, more: !caughtUp };
    });
    this.stats.passes++;
    this.stats.lastPassAt = Date.now();
    this.stats.lastPassMs = Date.now() - started;
    if (result.interactions > 0) this.recent.push({ at: Date.now(), interactions: result.interactions });
    return result;
  }

  /**
   * Time steps of the partitions held (expiries, decay reaching a watched level), each contact moved
   * up to the moment its partition's log is scored: time never overtakes an interaction.
   */
  private async timeSteps(): Promise<void> {
    const started = process.hrtime.bigint();
    let moved = 0;
    try {
      await this.timeStepBatches((due) => (moved += due));
      // Last-interaction windows of watched segments passing meanwhile (not by partition: segments are shared out).
      if (!this.loop.stopped) moved += await sweepSegmentWindows(this.deps.db, this.deps.engine, this.deps.clock.now().getTime());
    } finally {
      this.options.onTimeSteps(Number(process.hrtime.bigint() - started) / 1e9, moved);
    }
  }

  private async timeStepBatches(counted: (due: number) => void): Promise<void> {
    for (;;) {
      const due = await transaction(this.deps.db, async (client) => {
        const states: PartitionState[] = await lockOwnPartitions(client, this.workerId, this.owned);
        if (states.length === 0) return 0;
        const until = Math.min(this.deps.clock.now().getTime(), ...states.map((state) => state.scoredAt.getTime()));
        const partitions = states.length >= PARTITIONS ? null : states.map((state) => state.partition);
        return this.deps.engine.advanceDue(client, partitions, until, this.options.dueBatch);
      });
      this.stats.timeSteps += due;
      counted(due);
      if (due < this.options.dueBatch || this.loop.stopped) return;
    }
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  /** Stops after the pass in progress and gives the partitions up, so another instance takes them at once. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await forgetWorker(this.deps.db, this.workerId, new Date()).catch(() => undefined);
    await releasePartitions(this.deps.db, this.workerId, { except: [] }).catch((error: unknown) =>
      this.deps.logger.warn({ err: error }, 'could not give the scoring partitions back; their lease will run out'),
    );
    this.owned = [];
  }
}
