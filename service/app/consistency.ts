import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Logger } from '../logger';
import type { Db } from '../store/db';
import { Channel, listen } from '../store/notifications';
import { partitionOf, scoredBelow } from '../store/scoring-partitions';
import type { AppContext } from './context';
import { UseCaseError, invalid } from './errors';

/**
 * Reading one's own writes: every write answers a token (a position in the scoring log), and a
 * read that names it waits until the log is scored up to there — for the contacts it concerns, or
 * everywhere. A bounded wait: past it, the caller is told to retry (503 with Retry-After).
 */

export interface ScoringProgress {
  /** Resolves once everything before `position` is scored for these contacts (every partition when null). */
  waitFor(position: number, contactIds: readonly string[] | null, timeoutMs: number): Promise<void>;
}

const TOKEN = /^es1\.([0-9a-z]{1,14})$/;

export function encodeToken(position: number): string {
  return `es1.${position.toString(36)}`;
}

/** The position a token names (a 400 naming `field` when it is not one this service gave out). */
export function decodeToken(token: string, field = 'consistency'): number {
  const match = TOKEN.exec(token);
  const position = match ? Number.parseInt(match[1], 36) : NaN;
  if (!Number.isSafeInteger(position))
    throw invalid('The token is not one this service gave out.', [
      { path: field, message: 'not a token of POST /v1/interactions or another write' },
    ]);
  return position;
}

export const notScoredInTime = (timeoutMs: number) =>
  new UseCaseError(
    'unavailable',
    `What this request waits for is not scored yet (waited ${timeoutMs} ms): retry in a moment, or read without waiting.`,
  );

function partitionsOf(contactIds: readonly string[] | null): number[] | null {
  return contactIds === null ? null : [...new Set(contactIds.map(partitionOf))];
}

/** Waits on the database: checks the partitions' positions whenever a scoring pass says it committed (LISTEN), and every 100 ms. */
export class DatabaseScoringProgress implements ScoringProgress {
  private readonly passes = new EventEmitter();
  private listener: Promise<pg.PoolClient | undefined> | undefined;
  private drop: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {
    this.passes.setMaxListeners(0);
  }

  private listening(): Promise<pg.PoolClient | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    if (this.listener) return this.listener;
    // Assigned before any await below reads it.
    let attempt: Promise<pg.PoolClient | undefined> | undefined = undefined;
    attempt = (async () => {
      try {
        const client = await this.db.connect();
        let dropped = false;
        // Once only (an error and an end may both come), and destroyed: a listening connection must not go back to the pool.
        const drop = () => {
          if (dropped) return;
          dropped = true;
          if (this.listener === attempt) this.listener = undefined;
          this.drop = undefined;
          client.removeAllListeners('notification');
          client.release(true);
        };
        client.on('error', drop);
        client.on('end', drop);
        client.on('notification', () => this.passes.emit('pass'));
        this.drop = drop;
        await listen(client, Channel.scored);
        return client;
      } catch (error) {
        this.logger.warn({ err: error }, 'scoring notifications unavailable; waiting readers poll');
        if (this.listener === attempt) this.listener = undefined;
        this.drop?.();
        return undefined;
      }
    })();
    this.listener = attempt;
    return attempt;
  }

  async waitFor(position: number, contactIds: readonly string[] | null, timeoutMs: number): Promise<void> {
    const partitions = partitionsOf(contactIds);
    const deadline = Date.now() + timeoutMs;
    if ((await scoredBelow(this.db, partitions)) >= position) return;
    await this.listening();
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw notScoredInTime(timeoutMs);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.passes.off('pass', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(100, left));
        this.passes.once('pass', done);
      });
      if ((await scoredBelow(this.db, partitions)) >= position) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener;
    this.drop?.();
  }
}

/** For a process without its own scoring worker running in the background (tests): waiting drives a drain first. */
export class DrivenScoringProgress implements ScoringProgress {
  constructor(
    private readonly inner: ScoringProgress,
    private readonly drive: () => Promise<unknown>,
  ) {}

  async waitFor(position: number, contactIds: readonly string[] | null, timeoutMs: number): Promise<void> {
    await this.drive();
    return this.inner.waitFor(position, contactIds, timeoutMs);
  }
}

/**
 * Before a read that names a token (`consistency=`): waits until what it covers is scored, for the
 * contacts the read concerns (every partition when null). No token, no wait.
 */
export async function readAfter(ctx: AppContext, token: string | undefined, contactIds: readonly string[] | null): Promise<void> {
  if (token === undefined) return;
  await ctx.progress.waitFor(decodeToken(token), contactIds, ctx.config.consistencyTimeoutMs);
}

/** After a write with `wait`: whether what it appended was scored within the timeout (the write stands either way). */
export async function scoredInTime(ctx: AppContext, position: number, contactIds: readonly string[]): Promise<boolean> {
  try {
    await ctx.progress.waitFor(position, [...new Set(contactIds)], ctx.config.consistencyTimeoutMs);
    return true;
  } catch (error) {
    if (error instanceof UseCaseError && error.kind === 'unavailable') return false;
    throw error;
  }
}
