import { randomUUID } from 'node:crypto';
import { touchContactsForInteractions } from '../store/contacts';
import { transaction, type Db } from '../store/db';
import { insertInteractions, toInteractionRecord, type NewInteraction } from '../store/interactions';
import { recordShapes, type Shape } from '../store/shapes';
import type { ScoringEngine } from './engine';
import { objectPaths } from './profile-warnings';

export type InteractionInput = {
  id?: string;
  contactId: string;
  type: string;
  occurredAt?: Date;
  actorId?: string | null;
  channel?: string | null;
  direction?: string | null;
  properties?: Record<string, unknown> | null;
};

export type IngestResult = { accepted: number; duplicates: number };

/**
 * Stores a validated batch in one transaction: new interactions are inserted (repeated ids skipped),
 * their contacts created or touched (and locked), and the interactions scored under every active
 * profile version, so a stored interaction always has its contributions.
 */
export async function ingestInteractions(db: Db, engine: ScoringEngine, workspaceId: string, items: InteractionInput[], now: Date): Promise<IngestResult> {
  const rows: NewInteraction[] = items.map((item) => ({
    id: item.id ?? randomUUID(),
    contactId: item.contactId,
    type: item.type,
    occurredAt: item.occurredAt ?? now,
    actorId: item.actorId ?? null,
    channel: item.channel ?? null,
    direction: item.direction ?? null,
    properties: item.properties ?? null,
  }));
  const result = await transaction(db, async (client) => {
    const inserted = await insertInteractions(client, workspaceId, rows, now);
    if (inserted.length > 0) {
      const latest = new Map<string, { contactId: string; occurredAt: Date; type: string }>();
      for (const row of inserted) {
        const current = latest.get(row.contactId);
        if (!current || row.occurredAt > current.occurredAt) latest.set(row.contactId, { contactId: row.contactId, occurredAt: row.occurredAt, type: row.type });
      }
      const { contacts, createdIds } = await touchContactsForInteractions(client, workspaceId, [...latest.values()], now);
      await engine.onInteractions(client, workspaceId, inserted.map(toInteractionRecord), contacts, createdIds, now.getTime());
    }
    return { accepted: inserted.length, duplicates: items.length - inserted.length };
  });
  // What the data looks like, for the profile editor's warnings (only what is new reaches the database).
  const shapes = new Map<string, Shape>();
  for (const row of rows) {
    shapes.set(`t${row.type}`, { kind: 'type', value: row.type });
    if (row.properties) for (const path of objectPaths(row.properties)) shapes.set(`p${path}`, { kind: 'property', value: path });
  }
  await recordShapes(db, workspaceId, [...shapes.values()]).catch(() => undefined);
  return result;
}
