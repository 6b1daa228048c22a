import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Queryable } from './db';

/**
 * LISTEN/NOTIFY: writers wake the background loops of every instance at once instead of making them
 * wait for their next poll.
 */
export const Channel = {
  jobs: 'engagement_score_jobs',
  deliveries: 'engagement_score_deliveries',
  /** Something was appended to the scoring log. */
  log: 'engagement_score_log',
  /** A scoring pass committed (payload: the lowest position now scored); waiting readers check their token. */
  scored: 'engagement_score_scored',
  /** Caches of API keys and live versions are out of date (payload: what changed). */
  caches: 'engagement_score_caches',
} as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

/** Wakes whoever listens on the channel (delivered when the caller's transaction commits). */
export async function notify(db: Queryable, channel: Channel, payload = ''): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

export async function listen(client: pg.PoolClient, channel: Channel): Promise<void> {
  await client.query(`LISTEN ${channel}`);
}

export async function unlistenAll(client: pg.PoolClient): Promise<void> {
  await client.query('UNLISTEN *');
}

/** What a cache invalidation concerns: API keys, or one workspace's profiles (their live versions and watched levels). */
export type CacheScope = 'keys' | `profiles:${string}`;

/** This process's caches hear of its own writes at once (other instances through Channel.caches). */
export const localInvalidations = new EventEmitter();
localInvalidations.setMaxListeners(0);

/**
 * Says that cached API keys or profiles are out of date: to this process at once, and to every
 * instance when the caller's transaction commits.
 */
export async function invalidateCaches(db: Queryable, scope: CacheScope): Promise<void> {
  await notify(db, Channel.caches, scope);
  localInvalidations.emit('invalidate', scope);
}
