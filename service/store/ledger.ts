import type { Entry, EntryKind } from '../scoring/math';
import type { Queryable } from './db';

/** A ledger row: an Entry of one contact, with what earned it. */
export type LedgerEntry = Entry & {
  contactId: string;
  interactionSeq: number | null;
  actorId: string | null;
  adjustmentId: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

export async function insertLedgerEntries(db: Queryable, workspaceId: string, versionId: number, entries: readonly LedgerEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO score_ledger (workspace_id, version_id, contact_id, at, kind, rule, points, counted, interaction_seq, actor_id, adjustment_id)
     SELECT $1, $2, t.contact_id, t.at, t.kind, t.rule, t.points, t.counted, t.seq, t.actor_id, t.adjustment_id
       FROM unnest($3::text[], $4::timestamptz[], $5::smallint[], $6::smallint[], $7::float8[], $8::bool[], $9::bigint[], $10::text[], $11::uuid[])
         AS t(contact_id, at, kind, rule, points, counted, seq, actor_id, adjustment_id)`,
    [
      workspaceId,
      versionId,
      entries.map((entry) => entry.contactId),
      entries.map((entry) => iso(entry.at)),
      entries.map((entry) => entry.kind),
      entries.map((entry) => entry.rule),
      entries.map((entry) => entry.points),
      entries.map((entry) => entry.counted),
      entries.map((entry) => entry.interactionSeq),
      entries.map((entry) => entry.actorId),
      entries.map((entry) => entry.adjustmentId),
    ],
  );
}

type LedgerRow = { contactId: string; at: number; kind: EntryKind; rule: number; points: number; counted: boolean; interactionSeq: number | null; actorId: string | null; adjustmentId: string | null };

const ledgerColumns = `l.contact_id AS "contactId", (extract(epoch FROM l.at) * 1000)::float8 AS at, l.kind, l.rule, l.points, l.counted,
  l.interaction_seq AS "interactionSeq", l.actor_id AS "actorId", l.adjustment_id AS "adjustmentId"`;

/**
 * Entries of several contacts, each from its own point in time on (exclusive; null = all of it),
 * grouped by contact and in time order.
 */
export async function fetchLedger(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  requests: readonly { contactId: string; since: number | null }[],
): Promise<Map<string, LedgerEntry[]>> {
  const byContact = new Map<string, LedgerEntry[]>();
  if (requests.length === 0) return byContact;
  const { rows } = await db.query<LedgerRow>(
    `SELECT ${ledgerColumns}
       FROM unnest($3::text[], $4::timestamptz[]) AS r(contact_id, since)
       JOIN score_ledger l ON l.workspace_id = $1 AND l.version_id = $2 AND l.contact_id = r.contact_id AND (r.since IS NULL OR l.at > r.since)
      ORDER BY l.contact_id, l.at, l.interaction_seq NULLS LAST`,
    [workspaceId, versionId, requests.map((request) => request.contactId), requests.map((request) => (request.since === null ? null : iso(request.since)))],
  );
  for (const row of rows) {
    let list = byContact.get(row.contactId);
    if (!list) byContact.set(row.contactId, (list = []));
    list.push(row);
  }
  return byContact;
}

/** The interaction entries of some (contact, rule) pairs from a time on, to re-decide a rule's limit. */
export async function fetchRuleEntries(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  requests: readonly { contactId: string; rule: number; from: number }[],
): Promise<LedgerEntry[]> {
  if (requests.length === 0) return [];
  const { rows } = await db.query<LedgerRow>(
    `SELECT ${ledgerColumns}
       FROM unnest($3::text[], $4::smallint[], $5::timestamptz[]) AS r(contact_id, rule, since)
       JOIN score_ledger l ON l.workspace_id = $1 AND l.version_id = $2 AND l.contact_id = r.contact_id AND l.at >= r.since
      WHERE l.kind = 0 AND l.rule = r.rule
      ORDER BY l.contact_id, l.rule, l.at, l.interaction_seq`,
    [workspaceId, versionId, requests.map((request) => request.contactId), requests.map((request) => request.rule), requests.map((request) => iso(request.from))],
  );
  return rows;
}

/** Records re-decided limits: which matches count. */
export async function updateCounted(
  db: Queryable,
  workspaceId: string,
  versionId: number,
  flips: readonly { contactId: string; interactionSeq: number; rule: number; counted: boolean }[],
): Promise<void> {
  if (flips.length === 0) return;
  await db.query(
    `UPDATE score_ledger l SET counted = f.counted
       FROM unnest($3::text[], $4::bigint[], $5::smallint[], $6::bool[]) AS f(contact_id, seq, rule, counted)
      WHERE l.workspace_id = $1 AND l.version_id = $2 AND l.contact_id = f.contact_id AND l.interaction_seq = f.seq AND l.rule = f.rule AND l.kind = 0`,
    [workspaceId, versionId, flips.map((flip) => flip.contactId), flips.map((flip) => flip.interactionSeq), flips.map((flip) => flip.rule), flips.map((flip) => flip.counted)],
  );
}

export async function deleteLedgerOfContacts(db: Queryable, workspaceId: string, versionId: number, contactIds: readonly string[]): Promise<void> {
  await db.query('DELETE FROM score_ledger WHERE workspace_id = $1 AND version_id = $2 AND contact_id = ANY($3::text[])', [workspaceId, versionId, contactIds]);
}
