import type pg from 'pg';
import type { Logger } from '../logger';
import type { Db } from '../store/db';

/**
 * The loop of a background worker: runs `drain` every `pollMs`, and at once when PostgreSQL
 * notifies `channel` (LISTEN/NOTIFY), one drain at a time. Without a notification connection it
 * keeps polling. `stop()` waits for the drain in progress.
 */
export class WakeLoop {
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private running: Promise<void> | undefined;
  /** Drains check it between units of work, so a stop does not wait for a whole backlog. */
  stopped = false;

  constructor(private readonly options: { db: Db; logger: Logger; channel: string; pollMs: number; name: string; drain: () => Promise<unknown> }) {}

  async start(): Promise<void> {
    this.stopped = false;
    try {
      this.listener = await this.options.db.connect();
      this.listener.on('notification', () => this.wake());
      await this.listener.query(`LISTEN ${this.options.channel}`);
    } catch (error) {
      this.options.logger.warn({ err: error }, `${this.options.name} notifications unavailable; polling only`);
    }
    const tick = () => {
      this.wake();
      if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
    };
    tick();
  }

  private wake(): void {
    if (this.running || this.stopped) return;
    this.running = this.options
      .drain()
      .then(() => undefined)
      .catch((error: unknown) => this.options.logger.error({ err: error }, `${this.options.name} error`))
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
