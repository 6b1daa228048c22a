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

/** Position after which the next timeline page starts (newest first). */
export type TimelinePosition = { at: string; seq: number };

export async function listContactInteractions(
  db: Queryable,
  workspaceId: string,
  contactId: string,
  limit: number,
  after: TimelinePosition | undefined,
): Promise<{ interactions: (Interaction & { scored: boolean })[]; last: TimelinePosition | undefined; more: boolean }> {
  const values: unknown[] = [workspaceId, contactId, limit + 1];
  let where = 'i.workspace_id = $1 AND i.contact_id = $2';
  if (after) {
    values.push(after.at, after.seq);
    where += ' AND (i.occurred_at, i.seq) < ($4::timestamptz, $5::bigint)';
  }
  const { rows } = await db.query<Interaction & { scored: boolean }>(
    `SELECT ${interactionColumns}, i.txid < (SELECT scored_below FROM scoring_partitions WHERE partition = es_partition(i.contact_id)) AS scored
       FROM interactions i WHERE ${where} ORDER BY i.occurred_at DESC, i.seq DESC LIMIT $3`,
    values,
  );
  const more = rows.length > limit;
  const interactions = more ? rows.slice(0, limit) : rows;
  const lastRow = interactions[interactions.length - 1];
  return { interactions, last: lastRow ? { at: lastRow.occurredAt.toISOString(), seq: lastRow.seq } : undefined, more };
}

/** Every interaction of some contacts, per contact in time order, as rules read them (for a publish). */
const recordColumns = `i.seq, i.id, i.contact_id AS "contactId", i.type, (extract(epoch FROM i.occurred_at) * 1000)::float8 AS "occurredAt",
            i.actor_id AS "actorId", i.channel, i.direction, i.properties`;

/**
 * Every scored interaction of some contacts (what a publish recomputes), per contact in time order, as
 * rules read them. Scored: stored below the position its contact's partition is scored to, so that
 * what the log still holds is left to the scoring workers.
 */
export async function interactionsOfContacts(
  db: Queryable,
  workspaceId: string,
  contactIds: readonly string[],
): Promise<InteractionRecord[]> {
  return scoredInteractionsSince(
    db,
    workspaceId,
    contactIds.map((contactId) => ({ contactId, since: null })),
  );
}

/** Scored interactions of some contacts, each from its own moment on (exclusive; null = all), per contact in time order. */
export async function scoredInteractionsSince(
  db: Queryable,
  workspaceId: string,
  requests: readonly { contactId: string; since: number | null }[],
): Promise<InteractionRecord[]> {
  if (requests.length === 0) return [];
  const { rows } = await db.query<InteractionRecord>(
    // LATERAL: one index range per contact (interactions_by_contact), whatever the statistics say.
    `SELECT ${recordColumns}
       FROM unnest($2::text[], $3::timestamptz[]) AS r(contact_id, since)
       CROSS JOIN LATERAL (SELECT scored_below FROM scoring_partitions WHERE partition = es_partition(r.contact_id)) p
       CROSS JOIN LATERAL (
         SELECT * FROM interactions i
          WHERE i.workspace_id = $1 AND i.contact_id = r.contact_id AND i.occurred_at > coalesce(r.since, '-infinity') AND i.txid < p.scored_below
       ) i
      ORDER BY i.contact_id, i.occurred_at, i.seq`,
    [
      workspaceId,
      requests.map((request) => request.contactId),
      requests.map((request) => (request.since === null ? null : new Date(request.since).toISOString())),
    ],
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
