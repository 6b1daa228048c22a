import type { Queryable } from './db';
import { Channel, notify } from './notifications';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export type AttemptRecord = { at: string; status: number | null; error: string | null; ms: number };

export type Delivery = {
  workspaceId: string;
  id: string;
  seq: number;
  subscriptionId: string;
  contactId: string;
  type: string;
  occurredAt: Date;
  payload: Record<string, unknown>;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  attemptLog: AttemptRecord[];
  createdAt: Date;
  deliveredAt: Date | null;
  /** Set by a redelivery: retries run for the full period from then. */
  retrySince: Date | null;
};

/** A delivery leased for sending, with where it goes and what signs it. */
export type ClaimedDelivery = Delivery & { url: string; secret: string };

const columnNames: [string, string][] = [
  ['workspace_id', 'workspaceId'],
  ['id', 'id'],
  ['seq', 'seq'],
  ['subscription_id', 'subscriptionId'],
  ['contact_id', 'contactId'],
  ['type', 'type'],
  ['occurred_at', 'occurredAt'],
  ['payload', 'payload'],
  ['state', 'state'],
  ['attempts', 'attempts'],
  ['next_attempt_at', 'nextAttemptAt'],
  ['last_status', 'lastStatus'],
  ['last_error', 'lastError'],
  ['attempt_log', 'attemptLog'],
  ['created_at', 'createdAt'],
  ['delivered_at', 'deliveredAt'],
  ['retry_since', 'retrySince'],
];
const selectColumns = (alias: string) => columnNames.map(([column, name]) => `${alias}.${column} AS "${name}"`).join(', ');
const columns = selectColumns('deliveries');

export type NewDelivery = {
  id: string;
  subscriptionId: string;
  contactId: string;
  type: string;
  occurredAt: number;
  payload: Record<string, unknown>;
};

/** Writes deliveries into the outbox (inside the caller's transaction) and wakes the dispatchers. */
export async function insertDeliveries(db: Queryable, workspaceId: string, deliveries: readonly NewDelivery[], now: Date): Promise<void> {
  if (deliveries.length === 0) return;
  await db.query(
    `INSERT INTO deliveries (workspace_id, id, subscription_id, contact_id, type, occurred_at, payload, next_attempt_at, created_at)
     SELECT $1, t.id, t.subscription_id, t.contact_id, t.type, t.occurred_at, t.payload, $7, $7
       FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[], $8::jsonb[]) AS t(id, subscription_id, contact_id, type, occurred_at, payload)`,
    [
      workspaceId,
      deliveries.map((delivery) => delivery.id),
      deliveries.map((delivery) => delivery.subscriptionId),
      deliveries.map((delivery) => delivery.contactId),
      deliveries.map((delivery) => delivery.type),
      deliveries.map((delivery) => new Date(delivery.occurredAt).toISOString()),
      now,
      deliveries.map((delivery) => JSON.stringify(delivery.payload)),
    ],
  );
  await notify(db, Channel.deliveries);
}

/** How far down the due list one claim looks for deliveries to send. */
const CLAIM_SCAN = 500;

/**
 * Claims deliveries that are due (FOR UPDATE SKIP LOCKED) and leases them to this dispatcher, so
 * another instance will not send them while the lease lasts. A delivery waits while an earlier
 * one of the same subscription and contact is pending: receivers get a contact's events in order.
 * At most `perSubscription` deliveries of one subscription are in flight at once (counting
 * `inFlight`, what this dispatcher is sending already), so one slow receiver cannot take every slot.
 */
export async function claimDeliveries(
  db: Queryable,
  now: Date,
  leaseMs: number,
  limit: number,
  perSubscription: number = limit,
  inFlight: ReadonlyMap<string, number> = new Map(),
): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query<ClaimedDelivery>(
    `WITH candidates AS (
       SELECT d.workspace_id, d.id, d.subscription_id, d.next_attempt_at, d.occurred_at, d.seq FROM deliveries d
        WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.locked_until IS NULL OR d.locked_until < $1)
          AND NOT EXISTS (
            SELECT 1 FROM deliveries earlier
             WHERE earlier.workspace_id = d.workspace_id AND earlier.subscription_id = d.subscription_id AND earlier.contact_id = d.contact_id
               AND earlier.state = 'pending' AND (earlier.occurred_at, earlier.seq) < (d.occurred_at, d.seq))
        ORDER BY d.next_attempt_at, d.occurred_at, d.seq
        LIMIT ${CLAIM_SCAN}
     ), ranked AS (
       SELECT c.*, row_number() OVER (PARTITION BY c.subscription_id ORDER BY c.next_attempt_at, c.occurred_at, c.seq) AS rank
         FROM candidates c
     ), due AS (
       SELECT d.workspace_id, d.id FROM ranked r
         JOIN deliveries d ON d.workspace_id = r.workspace_id AND d.id = r.id
         LEFT JOIN unnest($5::uuid[], $6::int[]) AS busy(subscription_id, sending) ON busy.subscription_id = r.subscription_id
        WHERE r.rank <= $4 - coalesce(busy.sending, 0)
          AND d.state = 'pending' AND (d.locked_until IS NULL OR d.locked_until < $1)
        ORDER BY r.next_attempt_at, r.occurred_at, r.seq
        LIMIT $3 FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE deliveries d SET locked_until = $1::timestamptz + make_interval(secs => $2 / 1000.0)
       FROM due WHERE d.workspace_id = due.workspace_id AND d.id = due.id
     RETURNING ${selectColumns('d')},
       (SELECT url FROM subscriptions s WHERE s.workspace_id = d.workspace_id AND s.id = d.subscription_id) AS url,
       (SELECT secret FROM subscriptions s WHERE s.workspace_id = d.workspace_id AND s.id = d.subscription_id) AS secret`,
    [now, leaseMs, limit, perSubscription, [...inFlight.keys()], [...inFlight.values()]],
  );
  return rows.sort((x, y) => x.occurredAt.getTime() - y.occurredAt.getTime() || x.seq - y.seq);
}

/** Gives leased deliveries back at once (a send aborted because the service is stopping), for any dispatcher to send. */
export async function releaseDeliveries(db: Queryable, deliveries: readonly Pick<Delivery, 'workspaceId' | 'id'>[]): Promise<void> {
  if (deliveries.length === 0) return;
  await db.query(
    `UPDATE deliveries d SET locked_until = NULL FROM unnest($1::uuid[], $2::uuid[]) AS r(workspace_id, id)
      WHERE d.workspace_id = r.workspace_id AND d.id = r.id AND d.state = 'pending'`,
    [deliveries.map((delivery) => delivery.workspaceId), deliveries.map((delivery) => delivery.id)],
  );
}

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status: number | null; error: string; nextAttemptAt: Date }
  | { kind: 'failed'; status: number | null; error: string }
  | { kind: 'gone'; status: 410 };

const KEEP_ATTEMPTS = 10;

/** Records one attempt (keeping the last ten in the log). */
export async function recordAttempt(
  db: Queryable,
  delivery: Pick<Delivery, 'workspaceId' | 'id'>,
  outcome: AttemptOutcome,
  attempt: AttemptRecord,
  now: Date,
): Promise<void> {
  const state =
    outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'pending' : outcome.kind === 'gone' ? 'cancelled' : 'failed';
  await db.query(
    `UPDATE deliveries SET state = $3, attempts = attempts + 1, locked_until = NULL,
            next_attempt_at = coalesce($4, next_attempt_at), last_status = $5, last_error = $6,
            attempt_log = (SELECT coalesce(jsonb_agg(item ORDER BY n), '[]'::jsonb)
                             FROM (SELECT item, n FROM jsonb_array_elements(attempt_log || $7::jsonb) WITH ORDINALITY AS a(item, n) ORDER BY n DESC LIMIT ${KEEP_ATTEMPTS}) last),
            delivered_at = CASE WHEN $3 = 'delivered' THEN $8 ELSE delivered_at END
      WHERE workspace_id = $1 AND id = $2`,
    [
      delivery.workspaceId,
      delivery.id,
      state,
      outcome.kind === 'retry' ? outcome.nextAttemptAt : null,
      outcome.status,
      outcome.kind === 'delivered' ? null : outcome.kind === 'gone' ? 'receiver answered 410 Gone' : outcome.error,
      JSON.stringify([attempt]),
      now,
    ],
  );
}

export async function listDeliveries(
  db: Queryable,
  workspaceId: string,
  subscriptionId: string,
  limit: number,
  beforeSeq: number | undefined,
): Promise<Delivery[]> {
  const { rows } = await db.query<Delivery>(
    `SELECT ${columns} FROM deliveries WHERE workspace_id = $1 AND subscription_id = $2 AND ($3::bigint IS NULL OR seq < $3) ORDER BY seq DESC LIMIT $4`,
    [workspaceId, subscriptionId, beforeSeq ?? null, limit],
  );
  return rows;
}

/** Deletes up to `limit` finished deliveries created before `before`, oldest first; returns how many. */
export async function purgeFinishedDeliveries(db: Queryable, before: Date, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM deliveries WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM deliveries WHERE state <> 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2))`,
    [before, limit],
  );
  return rowCount ?? 0;
}

export async function getDelivery(db: Queryable, workspaceId: string, id: string): Promise<Delivery | undefined> {
  const { rows } = await db.query<Delivery>(`SELECT ${columns} FROM deliveries WHERE workspace_id = $1 AND id = $2`, [workspaceId, id]);
  return rows[0];
}

/** Writes one delivery already leased to the caller, who sends it right away (a test event). */
export async function insertLeasedDelivery(
  db: Queryable,
  workspaceId: string,
  delivery: NewDelivery,
  now: Date,
  leaseMs: number,
): Promise<ClaimedDelivery> {
  const { rows } = await db.query<ClaimedDelivery>(
    `INSERT INTO deliveries AS d (workspace_id, id, subscription_id, contact_id, type, occurred_at, payload, next_attempt_at, created_at, locked_until)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8::timestamptz + make_interval(secs => $9 / 1000.0))
     RETURNING ${selectColumns('d')},
       (SELECT url FROM subscriptions s WHERE s.workspace_id = d.workspace_id AND s.id = d.subscription_id) AS url,
       (SELECT secret FROM subscriptions s WHERE s.workspace_id = d.workspace_id AND s.id = d.subscription_id) AS secret`,
    [
      workspaceId,
      delivery.id,
      delivery.subscriptionId,
      delivery.contactId,
      delivery.type,
      new Date(delivery.occurredAt),
      JSON.stringify(delivery.payload),
      now,
      leaseMs,
    ],
  );
  return rows[0];
}

/**
 * Sends a delivery again: back to pending, due now, retried for the full period from now. Refused
 * (undefined) while an attempt of it is in flight. Wakes the dispatchers.
 */
export async function redeliver(db: Queryable, workspaceId: string, id: string, now: Date): Promise<Delivery | undefined> {
  const { rows } = await db.query<Delivery>(
    `UPDATE deliveries SET state = 'pending', next_attempt_at = $3, retry_since = $3, locked_until = NULL, delivered_at = NULL
      WHERE workspace_id = $1 AND id = $2 AND (locked_until IS NULL OR locked_until < $3)
      RETURNING ${columns}`,
    [workspaceId, id, now],
  );
  if (rows[0]) await notify(db, Channel.deliveries);
  return rows[0];
}
