import type { Queryable } from './db';
import { invalidateCaches } from './notifications';

export type SubscriptionEvent =
  'score.dropped_below' | 'score.rose_above' | 'score.crossed' | 'band.changed' | 'segment.entered' | 'segment.left';

export type Subscription = {
  id: string;
  /** The profile whose crossings it hears, or null for a segment's entries and exits. */
  profileId: string | null;
  segmentId: string | null;
  event: SubscriptionEvent;
  threshold: number | null;
  tags: string[] | null;
  url: string;
  description: string | null;
  secret: string;
  status: 'active' | 'disabled' | 'deleted';
  statusReason: string | null;
  createdAt: Date;
  updatedAt: Date;
};

const columns = `id, profile_id AS "profileId", segment_id AS "segmentId", event, threshold, tags, url, description, secret, status, status_reason AS "statusReason",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function insertSubscription(
  db: Queryable,
  workspaceId: string,
  input: Pick<Subscription, 'profileId' | 'segmentId' | 'event' | 'threshold' | 'tags' | 'url' | 'description' | 'secret'>,
  now: Date,
): Promise<Subscription> {
  const { rows } = await db.query<Subscription>(
    `INSERT INTO subscriptions (workspace_id, profile_id, segment_id, event, threshold, tags, url, description, secret, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING ${columns}`,
    [
      workspaceId,
      input.profileId,
      input.segmentId,
      input.event,
      input.threshold,
      input.tags,
      input.url,
      input.description,
      input.secret,
      now,
    ],
  );
  // A new threshold is a level score answers predict crossings of.
  await invalidateCaches(db, `profiles:${workspaceId}`);
  return rows[0];
}

export async function getSubscription(db: Queryable, workspaceId: string, id: string): Promise<Subscription | undefined> {
  const { rows } = await db.query<Subscription>(
    `SELECT ${columns} FROM subscriptions WHERE workspace_id = $1 AND id = $2 AND status <> 'deleted'`,
    [workspaceId, id],
  );
  return rows[0];
}

export async function listSubscriptions(db: Queryable, workspaceId: string, profileId?: string): Promise<Subscription[]> {
  const { rows } = await db.query<Subscription>(
    `SELECT ${columns} FROM subscriptions WHERE workspace_id = $1 AND status <> 'deleted' AND ($2::uuid IS NULL OR profile_id = $2) ORDER BY created_at, id`,
    [workspaceId, profileId ?? null],
  );
  return rows;
}

/** The subscriptions that may fire for a profile's score changes. */
export async function activeSubscriptions(db: Queryable, workspaceId: string, profileId: string): Promise<Subscription[]> {
  const { rows } = await db.query<Subscription>(
    `SELECT ${columns} FROM subscriptions WHERE workspace_id = $1 AND profile_id = $2 AND status = 'active' ORDER BY created_at, id`,
    [workspaceId, profileId],
  );
  return rows;
}

/** The active subscriptions to some segments' entries and exits. */
export async function activeSegmentSubscriptions(
  db: Queryable,
  workspaceId: string,
  segmentIds: readonly string[],
): Promise<Subscription[]> {
  if (segmentIds.length === 0) return [];
  const { rows } = await db.query<Subscription>(
    `SELECT ${columns} FROM subscriptions WHERE workspace_id = $1 AND segment_id = ANY($2::uuid[]) AND status = 'active' ORDER BY created_at, id`,
    [workspaceId, segmentIds],
  );
  return rows;
}

/** Marks a subscription deleted (or disabled) and cancels what it still had to deliver. */
export async function endSubscription(
  db: Queryable,
  workspaceId: string,
  id: string,
  status: 'deleted' | 'disabled',
  reason: string | null,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE subscriptions SET status = $3, status_reason = $4, updated_at = $5
      WHERE workspace_id = $1 AND id = $2 AND (status = 'active' OR ($3 = 'deleted' AND status <> 'deleted'))`,
    [workspaceId, id, status, reason, now],
  );
  await invalidateCaches(db, `profiles:${workspaceId}`);
  await db.query(
    `UPDATE deliveries SET state = 'cancelled', locked_until = NULL WHERE workspace_id = $1 AND subscription_id = $2 AND state = 'pending'`,
    [workspaceId, id],
  );
  return (rowCount ?? 0) > 0;
}
