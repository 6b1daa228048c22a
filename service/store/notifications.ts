import type pg from 'pg';
import type { Queryable } from './db';

/**
 * LISTEN/NOTIFY: writers wake the background loops of every instance at once instead of making them
 * wait for their next poll.
 */
export const Channel = { jobs: 'engagement_score_jobs', deliveries: 'engagement_score_deliveries' } as const;
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
