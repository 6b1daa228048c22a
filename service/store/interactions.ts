import type { InteractionRecord } from '../model/interaction';
import type { Queryable } from './db';

export type NewInteraction = {
  id: string;
  contactId: string;
  type: string;
  occurredAt: Date;
  actorId: string | null;
  channel: string | null;
  direction: string | null;
  properties: Record<string, unknown> | null;
};

export type Interaction = NewInteraction & { seq: number; receivedAt: Date };

export const interactionColumns = `i.seq, i.id, i.contact_id AS "contactId", i.type, i.occurred_at AS "occurredAt",
  i.actor_id AS "actorId", i.channel, i.direction, i.properties, i.received_at AS "receivedAt"`;

/**
 * Inserts a batch in one statement; rows whose id the workspace already has are skipped (idempotency).
 * When two identical batches race, the second waits on the first's unique-index entries and then skips them.
 * Returns the items actually inserted, with their sequence numbers (only id and seq come back: the
 * rest is what was sent).
 */
export async function insertInteractions(
  db: Queryable,
  workspaceId: string,
  items: NewInteraction[],
  now: Date,
): Promise<(NewInteraction & { seq: number })[]> {
  const { rows } = await db.query<{ id: string; seq: number }>(
    `INSERT INTO interactions AS i (workspace_id, id, contact_id, type, occurred_at, actor_id, channel, direction, properties, received_at)
     SELECT $1, t.id, t.contact_id, t.type, t.occurred_at, t.actor_id, t.channel, t.direction, t.properties, $10
       FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
         AS t(id, contact_id, type, occurred_at, actor_id, channel, direction, properties)
     ON CONFLICT (workspace_id, id) DO NOTHING
     RETURNING i.id, i.seq`,
    [
      workspaceId,
      items.map((item) => item.id),
      items.map((item) => item.contactId),
      items.map((item) => item.type),
      items.map((item) => item.occurredAt.toISOString()),
      items.map((item) => item.actorId),
      items.map((item) => item.channel),
      items.map((item) => item.direction),
      items.map((item) => (item.properties === null ? null : JSON.stringify(item.properties))),
      now,
    ],
  );
  const byId = new Map<string, NewInteraction>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);
  return rows.map((row) => ({ ...byId.get(row.id)!, seq: row.seq }));
}

/** Position after which the next timeline page starts (newest first). */
export type TimelinePosition = { at: string; seq: number };

export async function listContactInteractions(
  db: Queryable,
  workspaceId: string,
  contactId: string,
  limit: number,
  after: TimelinePosition | undefined,
): Promise<{ interactions: Interaction[]; last: TimelinePosition | undefined; more: boolean }> {
  const values: unknown[] = [workspaceId, contactId, limit + 1];
  let where = 'i.workspace_id = $1 AND i.contact_id = $2';
  if (after) {
    values.push(after.at, after.seq);
    where += ' AND (i.occurred_at, i.seq) < ($4::timestamptz, $5::bigint)';
  }
  const { rows } = await db.query<Interaction>(
    `SELECT ${interactionColumns} FROM interactions i WHERE ${where} ORDER BY i.occurred_at DESC, i.seq DESC LIMIT $3`,
    values,
  );
  const more = rows.length > limit;
  const interactions = more ? rows.slice(0, limit) : rows;
  const lastRow = interactions[interactions.length - 1];
  return { interactions, last: lastRow ? { at: lastRow.occurredAt.toISOString(), seq: lastRow.seq } : undefined, more };
}

/** Every interaction of some contacts, per contact in time order, as rules read them (for a publish). */
export async function interactionsOfContacts(
  db: Queryable,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<InteractionRecord[]> {
  if (contactIds.length === 0) return [];
  const { rows } = await db.query<InteractionRecord>(
    `SELECT i.seq, i.id, i.contact_id AS "contactId", i.type, (extract(epoch FROM i.occurred_at) * 1000)::float8 AS "occurredAt",
            i.actor_id AS "actorId", i.channel, i.direction, i.properties
       FROM interactions i WHERE i.workspace_id = $1 AND i.contact_id = ANY($2::text[])
      ORDER BY i.contact_id, i.occurred_at, i.seq`,
    [workspaceId, contactIds],
  );
  return rows;
}

export function toInteractionRecord(row: NewInteraction & { seq: number }): InteractionRecord {
  return { ...row, occurredAt: row.occurredAt.getTime() };
}

/** Interactions of each (contact, moment) in the 30 days up to that moment, in one round trip (suggestion facts). */
export async function interactionsInLast30Days(
  db: Queryable,
  workspaceId: string,
  moments: readonly { contactId: string; at: number }[],
): Promise<number[]> {
  if (moments.length === 0) return [];
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*)::int FROM interactions i
              WHERE i.workspace_id = $1 AND i.contact_id = m.contact_id AND i.occurred_at <= m.at AND i.occurred_at > m.at - interval '30 days') AS n
       FROM unnest($2::text[], $3::timestamptz[]) WITH ORDINALITY AS m(contact_id, at, position)
      ORDER BY m.position`,
    [workspaceId, moments.map((moment) => moment.contactId), moments.map((moment) => new Date(moment.at).toISOString())],
  );
  return rows.map((row) => row.n);
}

export type ActorActivity = { contactId: string; actorId: string; interactions: number; lastAt: number | null };

/**
 * Per contact and team member (actorId): interactions up to t — counted from `since` on (all of them
 * when null) — and the time of the last one.
 */
export async function actorActivity(
  db: Queryable,
  workspaceId: string,
  contactIds: readonly string[],
  t: number,
  since: number | null,
): Promise<ActorActivity[]> {
  const { rows } = await db.query<ActorActivity>(
    `SELECT contact_id AS "contactId", actor_id AS "actorId",
            count(*) FILTER (WHERE $4::timestamptz IS NULL OR occurred_at > $4)::int AS interactions,
            (extract(epoch FROM max(occurred_at)) * 1000)::float8 AS "lastAt"
       FROM interactions
      WHERE workspace_id = $1 AND contact_id = ANY($2::text[]) AND actor_id IS NOT NULL AND occurred_at <= $3
      GROUP BY contact_id, actor_id`,
    [workspaceId, contactIds, new Date(t), since === null ? null : new Date(since)],
  );
  return rows;
}
