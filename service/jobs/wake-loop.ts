import type pg from 'pg';
import type { Logger } from '../logger';
import { isDatabaseUnavailable, type Db } from '../store/db';
import { listen, unlistenAll, type Channel } from '../store/notifications';
import { STALLED_AFTER_MS, type LoopHealth } from './loop-health';

/**
 * The loop of a background worker: runs `drain` every `pollMs`, and at once when PostgreSQL
 * notifies `channel` (LISTEN/NOTIFY; optional) or `wake()` is called, one drain at a time (a wake-up during a
 * drain runs another one right after it). The notification connection is re-established whenever it
 * is lost (a database restart, a terminated connection); meanwhile the loop keeps polling.
 * `stop()` waits for the drain in progress.
 */
export class WakeLoop {
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private started = false;
  /** Drains check it between units of work, so a stop does not wait for a whole backlog. */
  stopped = false;
  /** When the last drain finished (or failed), for readiness reports. */
  lastDrainAt: number | null = null;
  lastError: string | null = null;
  private startedAt = 0;
  private busySince: number | null = null;

  constructor(
    private readonly options: { db: Db; logger: Logger; pollMs: number; name: string; drain: () => Promise<unknown>; channel?: Channel },
  ) {}

  /** Whether notifications arrive right now (otherwise the loop only polls). */
  get listening(): boolean {
    return this.listener !== undefined;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** How the loop is doing (see LoopHealth); `now` in real time. */
  health(now = Date.now()): LoopHealth {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const quietFor = now - (this.lastDrainAt ?? this.startedAt);
    const state = this.busy
      ? 'busy'
      : this.started && !this.stopped && quietFor > Math.max(STALLED_AFTER_MS, 10 * this.options.pollMs)
        ? 'stalled'
        : this.lastError !== null
          ? 'failing'
          : 'idle';
    return {
      name: this.options.name,
      state,
      listening: this.options.channel ? this.listening : null,
      lastPassAt: iso(this.lastDrainAt),
      busySince: iso(this.busySince),
      lastError: this.lastError,
    };
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.started = true;
    this.startedAt = Date.now();
    await this.listen();
    const tick = () => {
      if (this.stopped) return;
      if (!this.listener && !this.connecting) void this.listen();
      this.wake();
      this.timer = setTimeout(tick, this.options.pollMs);
    };
    tick();
  }

  private listen(): Promise<void> {
    const channel = this.options.channel;
    if (!channel) return Promise.resolve();
    this.connecting ??= (async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await this.options.db.connect();
        const lost = () => {
          if (this.listener !== client) return;
          this.listener = undefined;
          client!.release(true);
          if (!this.stopped)
            this.options.logger.warn(`${this.options.name}: the notification connection was lost; polling until it is back`);
        };
        client.on('error', lost);
        client.on('end', lost);
        client.on('notification', () => this.wake());
        await listen(client, channel);
        if (this.stopped) {
          client.release(true);
          return;
        }
        this.listener = client;
      } catch (error) {
        client?.release(true);
        this.options.logger.warn({ err: error }, `${this.options.name}: notifications unavailable; polling`);
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** Runs a drain now, or right after the one in progress. */
  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.busySince = Date.now();
    this.running = this.options
      .drain()
      .then(() => {
        this.lastError = null;
      })
      .catch((error: unknown) => {
        this.lastError = (error as Error)?.message ?? String(error);
        if (isDatabaseUnavailable(error)) this.options.logger.warn({ err: error }, `${this.options.name}: database unavailable; retrying`);
        else this.options.logger.error({ err: error }, `${this.options.name} error`);
      })
      .finally(() => {
        this.lastDrainAt = Date.now();
        this.busySince = null;
        this.running = undefined;
        if (this.again) this.wake();
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.connecting;
    await this.running;
    const listener = this.listener;
    this.listener = undefined;
    if (listener) {
      await unlistenAll(listener).catch(() => undefined);
      listener.release();
    }
  }
}
