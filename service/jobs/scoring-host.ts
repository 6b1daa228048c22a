import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import type { ScoringThreadInput } from './scoring-thread';

/**
 * Runs the scoring workers in a thread of their own (scoring-thread.ts), and starts it again if it
 * dies (its partitions' leases then run out and it takes them back, or another instance does).
 */
export class ScoringThread {
  private worker: Worker | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly input: ScoringThreadInput,
    private readonly logger: Logger,
  ) {}

  start(): Promise<void> {
    this.stopping = false;
    return new Promise((resolve, reject) => {
      // The same kind of file as this one: compiled JavaScript, or TypeScript under the test hook.
      const file = path.join(__dirname, `scoring-thread${path.extname(__filename)}`);
      const worker = new Worker(file, { workerData: this.input, execArgv: process.execArgv });
      this.worker = worker;
      worker.on('message', (message: { type: string; message?: string }) => {
        if (message.type === 'started') resolve();
        if (message.type === 'failed') reject(new Error(`the scoring thread did not start: ${message.message}`));
      });
      worker.on('error', (error) => this.logger.error({ err: error }, 'the scoring thread failed'));
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (this.stopping) return;
        this.logger.error({ code }, 'the scoring thread exited; starting it again in a second');
        this.restartTimer = setTimeout(
          () => void this.start().catch((error: unknown) => this.logger.error({ err: error }, 'could not restart the scoring thread')),
          1000,
        );
      });
    });
  }

  /** Lets the workers finish their pass and give their partitions back, then ends the thread. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 10_000);
      worker.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.on('message', (message: { type: string }) => {
        if (message.type === 'stopped') void worker.terminate();
      });
      worker.postMessage({ type: 'stop' });
    });
  }
}
