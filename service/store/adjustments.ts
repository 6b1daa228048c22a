import type { Queryable } from './db';

export type Adjustment = {
  id: string;
  profileId: string;
  contactId: string;
  at: number;
  mode: 'delta' | 'set';
  value: number;
  reason: string;
  keyId: string | null;
  keyName: string | null;
  /** The order adjustments were made in (those of one moment are applied and shown in it). */
  txid: number;
};

const columns = `id, profile_id AS "profileId", contact_id AS "contactId", (extract(epoch FROM at) * 1000)::float8 AS at, mode, value, reason,
  key_id AS "keyId", key_name AS "keyName", txid`;

export async function insertAdjustment(
  db: Queryable,
  workspaceId: string,
  adjustment: Omit<Adjustment, 'id' | 'txid'>,
): Promise<Adjustment> {
  const { rows } = await db.query<Adjustment>(
    `INSERT INTO score_adjustments (workspace_id, profile_id, contact_id, at, mode, value, reason, key_id, key_name)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${columns}`,
    [
      workspaceId,
      adjustment.profileId,
      adjustment.contactId,
      new Date(adjustment.at),
      adjustment.mode,
      adjustment.value,
      adjustment.reason,
      adjustment.keyId,
      adjustment.keyName,
    ],
  );
  return rows[0];
}

/**
 * A profile's adjustments of some contacts, oldest first. `scoredOnly`: only those the scoring has
 * applied (stored below their contact's partition position; a publish leaves the rest to the workers).
 */
export async function adjustmentsOf(
  db: Queryable,
  workspaceId: string,
  profileId: string,
  contactIds: readonly string[],
  scoredOnly = false,
): Promise<Adjustment[]> {
  if (contactIds.length === 0) return [];
  const { rows } = await db.query<Adjustment>(
    `SELECT ${columns} FROM score_adjustments a
      WHERE workspace_id = $1 AND profile_id = $2 AND contact_id = ANY($3::text[])
        AND (NOT $4 OR a.txid < (SELECT scored_below FROM scoring_partitions WHERE partition = es_partition(a.contact_id)))
      ORDER BY contact_id, at, txid, id`,
    [workspaceId, profileId, contactIds, scoredOnly],
  );
  return rows;
}

export async function adjustmentsById(db: Queryable, workspaceId: string, ids: readonly string[]): Promise<Map<string, Adjustment>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<Adjustment>(`SELECT ${columns} FROM score_adjustments WHERE workspace_id = $1 AND id = ANY($2::uuid[])`, [
    workspaceId,
    ids,
  ]);
  return new Map(rows.map((row) => [row.id, row]));
}
