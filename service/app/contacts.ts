import { objectPaths } from '../scoring/profile-warnings';
import { upsertContacts, type Contact, type ContactChanges } from '../store/contacts';
import { transaction } from '../store/db';
import { recordShapes } from '../store/shapes';
import type { AppContext } from './context';

/**
 * Creates or updates contacts, and rescores them where a change flips a state rule (or a contact is
 * new), in one transaction; then notes the attribute paths the editor's warnings know about.
 */
export async function upsertAndRescore(ctx: AppContext, workspaceId: string, items: ContactChanges[]): Promise<{ contacts: Contact[]; createdIds: Set<string> }> {
  const result = await transaction(ctx.db, async (client) => {
    const now = ctx.clock.now();
    const upserted = await upsertContacts(client, workspaceId, items, now);
    await ctx.engine.onContactsChanged(client, workspaceId, upserted.contacts, upserted.createdIds, now.getTime());
    return upserted;
  });
  const paths = new Set<string>();
  for (const item of items) if (item.attributes) objectPaths(item.attributes, '', 0, paths);
  await recordShapes(ctx.db, workspaceId, [...paths].map((value) => ({ kind: 'attribute', value }))).catch(() => undefined);
  return result;
}
