import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger';
import { timeStepContacts, timeStepSeconds } from '../metrics';
import { STALLED_AFTER_MS, type LoopHealth } from './loop-health';
import type { ScoringThreadInput } from './scoring-thread';

type ThreadMessage =
  | { type: 'started' | 'stopped' }
  | { type: 'failed'; message: string }
  | { type: 'health'; loops: LoopHealth[] }
  | { type: 'time-steps'; seconds: number; due: number };

/**
 * Runs the scoring workers in a thread of their own (scoring-thread.ts), and starts it again if it
 * dies (its partitions' leases then run out and it takes them back, or another instance does).
 */
export class ScoringThread {
  private worker: Worker | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private report: { at: number; loops: LoopHealth[] } | undefined;
  private restarts = 0;

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
      worker.on('message', (message: ThreadMessage) => {
        if (message.type === 'started') resolve();
        if (message.type === 'failed') reject(new Error(`the scoring thread did not start: ${message.message}`));
        if (message.type === 'health') this.report = { at: Date.now(), loops: message.loops };
        if (message.type === 'time-steps') {
          timeStepSeconds.observe(message.seconds);
          timeStepContacts.inc(message.due);
        }
      });
      worker.on('error', (error) => this.logger.error({ err: error }, 'the scoring thread failed'));
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        if (this.stopping) return;
        this.restarts++;
        this.report = undefined;
        this.logger.error({ code }, 'the scoring thread exited; starting it again in a second');
        this.restartTimer = setTimeout(
          () => void this.start().catch((error: unknown) => this.logger.error({ err: error }, 'could not restart the scoring thread')),
          1000,
        );
      });
    });
  }

  /** The scoring workers' loops as the thread last reported them; the thread itself as stalled if it went quiet or is gone. */
  health(now = Date.now()): LoopHealth[] {
    const quiet = (reason: string): LoopHealth => ({
      name: 'scoring thread',
      state: 'stalled',
      listening: null,
      lastPassAt: null,
      busySince: null,
      lastError: reason,
    });
    if (this.stopping) return [];
    if (!this.worker || !this.report) return [quiet(`the thread is not running (restarted ${this.restarts} times)`)];
    if (now - this.report.at > STALLED_AFTER_MS)
      return [quiet(`no report from the thread since ${new Date(this.report.at).toISOString()}`)];
    return this.report.loops;
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
