import type { Queryable } from './db';
import { contactFilterConditions, rawBoundConditions, rawExpression, type ContactFilter } from './score-sql';

export type { ContactFilter } from './score-sql';

export type Contact = {
  id: string;
  name: string | null;
  email: string | null;
  accountId: string | null;
  ownerId: string | null;
  tags: string[];
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  lastInteractionAt: Date | null;
  lastInteractionType: string | null;
};

/** Fields of an upsert: a field left out keeps its stored value, `null` clears it. */
export type ContactChanges = {
  id: string;
  name?: string | null;
  email?: string | null;
  accountId?: string | null;
  ownerId?: string | null;
  tags?: string[];
  /** Merged into the stored attributes; a key set to null is removed. */
  attributes?: Record<string, unknown>;
};

/** A contact's columns (alias `c`), its last interaction read from contact_activity by primary key. */
export const contactColumns = `c.id, c.name, c.email, c.account_id AS "accountId", c.owner_id AS "ownerId", c.tags, c.attributes,
  c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  (SELECT ca.last_at FROM contact_activity ca WHERE ca.workspace_id = c.workspace_id AND ca.contact_id = c.id) AS "lastInteractionAt",
  (SELECT ca.last_type FROM contact_activity ca WHERE ca.workspace_id = c.workspace_id AND ca.contact_id = c.id) AS "lastInteractionType"`;

const has = (changes: ContactChanges, key: keyof ContactChanges) =>
  Object.prototype.hasOwnProperty.call(changes, key) && changes[key] !== undefined;

/**
 * Upserts many contacts in one statement (arrays unnested server-side). Rows are written in id order
 * so that concurrent batches lock them in the same order.
 */
export async function upsertContacts(
  db: Queryable,
  workspaceId: string,
  items: ContactChanges[],
  now: Date,
): Promise<{ contacts: Contact[]; createdIds: Set<string> }> {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const column = <T>(pick: (item: ContactChanges) => T) => sorted.map(pick);
  const input = `SELECT * FROM unnest($2::text[], $3::text[], $4::bool[], $5::text[], $6::bool[], $7::text[], $8::bool[],
                                      $9::text[], $10::bool[], $11::jsonb[], $12::jsonb[])
                   AS t(id, name, set_name, email, set_email, account_id, set_account, owner_id, set_owner, tags, attributes)`;
  const values = [
    workspaceId,
    column((item) => item.id),
    column((item) => item.name ?? null),
    column((item) => has(item, 'name')),
    column((item) => item.email ?? null),
    column((item) => has(item, 'email')),
    column((item) => item.accountId ?? null),
    column((item) => has(item, 'accountId')),
    column((item) => item.ownerId ?? null),
    column((item) => has(item, 'ownerId')),
    column((item) => (item.tags === undefined ? null : JSON.stringify(dedupe(item.tags)))),
    column((item) => (item.attributes === undefined ? null : JSON.stringify(item.attributes))),
    now,
  ];
  // Two statements, not one: the update must see rows another transaction committed after the insert's snapshot.
  const inserted = await db.query<Contact>(
    `INSERT INTO contacts AS c (workspace_id, id, name, email, account_id, owner_id, tags, attributes, created_at, updated_at)
     SELECT $1, id, name, email, account_id, owner_id,
            coalesce(ARRAY(SELECT jsonb_array_elements_text(tags)), '{}'),
            coalesce(attributes - ARRAY(SELECT key FROM jsonb_each(attributes) WHERE value = 'null'::jsonb), '{}'),
            $13, $13
       FROM (${input}) AS i
     ON CONFLICT (workspace_id, id) DO NOTHING
     RETURNING ${contactColumns}`,
    values,
  );
  const createdIds = new Set(inserted.rows.map((row) => row.id));
  if (createdIds.size > 0) {
    await db.query('INSERT INTO contact_activity (workspace_id, contact_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [
      workspaceId,
      [...createdIds],
    ]);
  }
  // Only the rows that existed are updated: the update's input leaves the created ones out (filtering
  // them in SQL with NOT ANY compared every row with every created id, and with table statistics the
  // planner could pick a nested loop over the whole table: minutes for a batch of 10,000 new contacts).
  const existing = sorted.filter((item) => !createdIds.has(item.id));
  if (existing.length === 0) return { contacts: inserted.rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)), createdIds };
  const kept = sorted.map((item) => !createdIds.has(item.id));
  const updateValues = values.map((value, index) =>
    index >= 1 && index <= 11 ? (value as unknown[]).filter((_item, row) => kept[row]) : value,
  );
  // Lock the existing rows in id order first, so concurrent batches cannot deadlock each other.
  await db.query('SELECT 1 FROM contacts WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE', [
    workspaceId,
    updateValues[1],
  ]);
  const updated = await db.query<Contact>(
    `UPDATE contacts AS c SET
       name = CASE WHEN i.set_name THEN i.name ELSE c.name END,
       email = CASE WHEN i.set_email THEN i.email ELSE c.email END,
       account_id = CASE WHEN i.set_account THEN i.account_id ELSE c.account_id END,
       owner_id = CASE WHEN i.set_owner THEN i.owner_id ELSE c.owner_id END,
       tags = CASE WHEN i.tags IS NULL THEN c.tags ELSE ARRAY(SELECT jsonb_array_elements_text(i.tags)) END,
       attributes = CASE WHEN i.attributes IS NULL THEN c.attributes
                    ELSE (c.attributes || i.attributes) - ARRAY(SELECT key FROM jsonb_each(i.attributes) WHERE value = 'null'::jsonb) END,
       updated_at = $13
      FROM (${input}) AS i
     WHERE c.workspace_id = $1 AND c.id = i.id
     RETURNING ${contactColumns}`,
    updateValues,
  );
  const contacts = [...inserted.rows, ...updated.rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { contacts, createdIds };
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

/** What rules read of a contact (the `contact` fact). */
export type ContactFacts = Pick<Contact, 'id' | 'tags' | 'attributes' | 'accountId' | 'ownerId'>;

/** Keeps contacts' last interaction current (the scoring workers, holding the contacts' partitions). */
export async function recordLastInteractions(
  db: Queryable,
  workspaceId: string,
  latest: readonly { contactId: string; at: number; type: string }[],
): Promise<void> {
  if (latest.length === 0) return;
  // Every contact has its activity row (made with the contact): an update, never an insert.
  await db.query(
    `UPDATE contact_activity a SET last_at = t.at, last_type = t.type
       FROM unnest($2::text[], $3::timestamptz[], $4::text[]) AS t(id, at, type)
      WHERE a.workspace_id = $1 AND a.contact_id = t.id AND (a.last_at IS NULL OR t.at > a.last_at)`,
    [
      workspaceId,
      latest.map((item) => item.contactId),
      latest.map((item) => new Date(item.at).toISOString()),
      latest.map((item) => item.type),
    ],
  );
}

/** What rules read of some contacts, and nothing else (the scoring path: no dates to parse, no activity to join). */
export async function contactFactsOf(db: Queryable, workspaceId: string, ids: readonly string[]): Promise<ContactFacts[]> {
  const { rows } = await db.query<ContactFacts>(
    `SELECT id, tags, attributes, account_id AS "accountId", owner_id AS "ownerId" FROM contacts WHERE workspace_id = $1 AND id = ANY($2::text[])`,
    [workspaceId, ids],
  );
  return rows;
}

export async function getContact(db: Queryable, workspaceId: string, id: string): Promise<Contact | undefined> {
  const { rows } = await db.query<Contact>(`SELECT ${contactColumns} FROM contacts c WHERE c.workspace_id = $1 AND c.id = $2`, [
    workspaceId,
    id,
  ]);
  return rows[0];
}

export async function getContacts(db: Queryable, workspaceId: string, ids: string[]): Promise<Contact[]> {
  const { rows } = await db.query<Contact>(
    `SELECT ${contactColumns} FROM contacts c WHERE c.workspace_id = $1 AND c.id = ANY($2::text[]) ORDER BY c.id`,
    [workspaceId, ids],
  );
  return rows;
}

export type ContactSort = 'id' | 'lastInteractionAt' | '-lastInteractionAt';

/** Position after which the next page starts: the sort value and the id of the last contact returned. */
export type ContactPosition = { id: string; at?: string | null };

const NEVER = '-infinity';

/** Keyset pagination: a page never repeats or skips a contact when others are inserted meanwhile. */
export type ScoreJoin = { versionId: number; decays: boolean; timeKey: number; bounds: { min: number; max: number } };

export async function listContacts(
  db: Queryable,
  workspaceId: string,
  filter: ContactFilter,
  sort: ContactSort,
  limit: number,
  after: ContactPosition | undefined,
  score?: ScoreJoin,
): Promise<{ contacts: (Contact & { raw?: number })[]; last: ContactPosition | undefined; more: boolean }> {
  const values: unknown[] = [workspaceId];
  const where = ['c.workspace_id = $1'];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  let join = '';
  let scoreColumn = '';
  if (score) {
    // Scores in one profile, filtered row by row (exact at the request time, not index-backed in this order).
    join = `JOIN scores sc ON sc.workspace_id = c.workspace_id AND sc.contact_id = c.id AND sc.version_id = ${param(score.versionId)}`;
    scoreColumn = `, ${rawExpression(score.decays, score.timeKey, param)} AS raw`;
    where.push(...rawBoundConditions(score.decays, score.bounds, param, score.timeKey));
  }
  where.push(...contactFilterConditions(filter, param));
  let order: string;
  let from = 'contacts c';
  if (sort === 'id') {
    order = 'c.id';
    if (after) where.push(`c.id > ${param(after.id)}`);
  } else {
    // In the order of contact_activity's index: (workspace, last interaction, contact).
    from = 'contact_activity ca JOIN contacts c ON c.workspace_id = ca.workspace_id AND c.id = ca.contact_id';
    const lastAt = `coalesce(ca.last_at, '${NEVER}'::timestamptz)`;
    where.push('ca.workspace_id = $1');
    const direction = sort === 'lastInteractionAt' ? '>' : '<';
    order = sort === 'lastInteractionAt' ? `${lastAt}, ca.contact_id` : `${lastAt} DESC, ca.contact_id DESC`;
    if (after) where.push(`(${lastAt}, ca.contact_id) ${direction} (${param(after.at ?? NEVER)}::timestamptz, ${param(after.id)})`);
  }
  const { rows } = await db.query<Contact & { raw?: number }>(
    `SELECT ${contactColumns}${scoreColumn} FROM ${from} ${join} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${param(limit + 1)}`,
    values,
  );
  const more = rows.length > limit;
  const contacts = more ? rows.slice(0, limit) : rows;
  const lastContact = contacts[contacts.length - 1];
  const last = lastContact
    ? { id: lastContact.id, at: lastContact.lastInteractionAt ? lastContact.lastInteractionAt.toISOString() : null }
    : undefined;
  return { contacts, last, more };
}

/** The contacts matching a filter (with `score`, those scored in the version within the bounds), as FROM … WHERE … */
function matching(workspaceId: string, filter: ContactFilter, score?: ScoreJoin): { from: string; values: unknown[] } {
  const values: unknown[] = [workspaceId];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where = ['c.workspace_id = $1'];
  let join = '';
  if (score) {
    join = `JOIN scores sc ON sc.workspace_id = c.workspace_id AND sc.contact_id = c.id AND sc.version_id = ${param(score.versionId)}`;
    where.push(...rawBoundConditions(score.decays, score.bounds, param, score.timeKey));
  }
  where.push(...contactFilterConditions(filter, param));
  return { from: `FROM contacts c ${join} WHERE ${where.join(' AND ')}`, values };
}

/** How many contacts match: a segment's size. */
export async function countMatchingContacts(db: Queryable, workspaceId: string, filter: ContactFilter, score?: ScoreJoin): Promise<number> {
  const { from, values } = matching(workspaceId, filter, score);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, values);
  return rows[0].n;
}

/** The ids of every matching contact: a watched segment's members when watching starts. */
export async function matchingContactIds(db: Queryable, workspaceId: string, filter: ContactFilter, score?: ScoreJoin): Promise<string[]> {
  const { from, values } = matching(workspaceId, filter, score);
  const { rows } = await db.query<{ id: string }>(`SELECT c.id ${from}`, values);
  return rows.map((row) => row.id);
}

/** Every table holding a contact's data, erased together (the contact row last). */
const contactDataTables = [
  'interactions',
  'score_events',
  'score_ledger',
  'scores',
  'score_adjustments',
  'deliveries',
  'segment_members',
  'contact_activity',
];

/** Erases the contact with everything recorded about it; false when it did not exist. */
export async function eraseContact(db: Queryable, workspaceId: string, id: string): Promise<boolean> {
  const locked = await db.query('SELECT 1 FROM contacts WHERE workspace_id = $1 AND id = $2 FOR UPDATE', [workspaceId, id]);
  if (locked.rowCount === 0) return false;
  for (const table of contactDataTables) {
    await db.query(`DELETE FROM ${table} WHERE workspace_id = $1 AND contact_id = $2`, [workspaceId, id]);
  }
  await db.query('DELETE FROM contacts WHERE workspace_id = $1 AND id = $2', [workspaceId, id]);
  return true;
}

export async function countContacts(db: Queryable, workspaceId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE workspace_id = $1', [workspaceId]);
  return rows[0].n;
}

/** The next `limit` contact ids after `after`, in id order (jobs that go through every contact). */
export async function contactIdsAfter(db: Queryable, workspaceId: string, after: string | null, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM contacts WHERE workspace_id = $1 AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3',
    [workspaceId, after, limit],
  );
  return rows.map((row) => row.id);
}

/** What a crossing's delivery says about its contact. */
export type ContactCard = Pick<
  Contact,
  'id' | 'name' | 'email' | 'tags' | 'ownerId' | 'accountId' | 'attributes' | 'lastInteractionAt' | 'lastInteractionType'
>;

export async function contactCards(db: Queryable, workspaceId: string, ids: readonly string[]): Promise<Map<string, ContactCard>> {
  const { rows } = await db.query<ContactCard>(
    `SELECT c.id, c.name, c.email, c.tags, c.owner_id AS "ownerId", c.account_id AS "accountId", c.attributes,
            ca.last_at AS "lastInteractionAt", ca.last_type AS "lastInteractionType"
       FROM contacts c LEFT JOIN contact_activity ca ON ca.workspace_id = c.workspace_id AND ca.contact_id = c.id
      WHERE c.workspace_id = $1 AND c.id = ANY($2::text[])`,
    [workspaceId, ids],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
