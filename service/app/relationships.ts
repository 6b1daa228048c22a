import type { ActiveVersion } from '../scoring/engine';
import { insights } from '../scoring/insights';
import { accountMembers, accountOverview, contactRelationships, relationshipsOfContacts } from '../scoring/relationships';
import { getContact, getContacts, listContacts } from '../store/contacts';
import { currentScore } from '../scoring/score-answer';
import { liveVersions } from '../store/profiles';
import { readAfter } from './consistency';
import type { AppContext } from './context';
import { invalid, notFound } from './errors';
import { requireLiveVersion } from './profiles';

/** Who knows a contact (or an account) best, accounts' roll-ups, and the network review. */

/** The profile asked for, or the workspace's oldest published relationship profile. */
async function relationshipVersion(ctx: AppContext, workspaceId: string, profileId: string | undefined): Promise<ActiveVersion> {
  if (profileId) return requireLiveVersion(ctx, workspaceId, profileId);
  const relationship = (await liveVersions(ctx.db, workspaceId)).find((row) => (row.document as { kind: string }).kind === 'relationship');
  if (!relationship)
    throw invalid('No published relationship profile: say which profile to use.', [
      { path: 'profileId', message: 'required when no relationship profile is published' },
    ]);
  return requireLiveVersion(ctx, workspaceId, relationship.profileId);
}

export async function contactRelationshipsAnswer(
  ctx: AppContext,
  workspaceId: string,
  contactId: string,
  profileId: string | undefined,
  consistency?: string,
) {
  await readAfter(ctx, consistency, [contactId]);
  const version = await relationshipVersion(ctx, workspaceId, profileId);
  const contact = await getContact(ctx.db, workspaceId, contactId);
  if (!contact) throw notFound(`No contact ${contactId}.`);
  const t = ctx.clock.now().getTime();
  // null (with the reason) below the profile's minInteractions.
  const shown = (await currentScore(ctx.db, workspaceId, version, contact.id, t))!;
  return {
    contactId: contact.id,
    profileId: version.profileId,
    version: version.version,
    ...shown,
    computedAt: new Date(t).toISOString(),
    items: await contactRelationships(ctx.db, workspaceId, version, contact.id, t),
  };
}

async function account(
  ctx: AppContext,
  workspaceId: string,
  accountId: string,
  profileId: string | undefined,
  consistency: string | undefined,
) {
  await readAfter(ctx, consistency, null);
  const version = await relationshipVersion(ctx, workspaceId, profileId);
  const t = ctx.clock.now().getTime();
  await ctx.engine.refreshStale(ctx.db, workspaceId, version, ctx.clock.now().getTime());
  const result = await accountOverview(ctx.db, workspaceId, version, accountId, t);
  // contacts counts those with a score (a profile's minInteractions): an account whose contacts have none yet is still there.
  if (result.overview.contacts === 0 && (await listContacts(ctx.db, workspaceId, { accountId }, 'id', 1, undefined)).contacts.length === 0)
    throw notFound(`No contact belongs to account ${accountId}.`);
  return { version, t, ...result };
}

export async function accountAnswer(
  ctx: AppContext,
  workspaceId: string,
  accountId: string,
  profileId: string | undefined,
  consistency?: string,
) {
  return (await account(ctx, workspaceId, accountId, profileId, consistency)).overview;
}

export async function accountRelationshipsAnswer(
  ctx: AppContext,
  workspaceId: string,
  accountId: string,
  profileId: string | undefined,
  consistency?: string,
) {
  const { version, t, overview, scores } = await account(ctx, workspaceId, accountId, profileId, consistency);
  const ids = [...scores.keys()];
  const [contacts, perContact, members] = await Promise.all([
    getContacts(ctx.db, workspaceId, ids),
    relationshipsOfContacts(ctx.db, workspaceId, version, ids, t),
    accountMembers(ctx.db, workspaceId, version, ids, t),
  ]);
  const items = contacts
    .map((contact) => ({
      contactId: contact.id,
      name: contact.name,
      email: contact.email,
      score: scores.get(contact.id)!,
      band: version.model.bandView(scores.get(contact.id)!),
      members: (perContact.get(contact.id) ?? []).slice(0, 3),
    }))
    .sort((x, y) => y.score - x.score || (x.contactId < y.contactId ? -1 : 1));
  return { ...overview, items, members: members.slice(0, 10) };
}

/** The network review of one profile over the last `days`. */
export async function networkReview(
  ctx: AppContext,
  workspaceId: string,
  profileId: string,
  days: number,
  limit: number,
  consistency?: string,
) {
  await readAfter(ctx, consistency, null);
  const version = await requireLiveVersion(ctx, workspaceId, profileId);
  await ctx.engine.refreshStale(ctx.db, workspaceId, version, ctx.clock.now().getTime());
  return insights(ctx.db, workspaceId, version, days, ctx.clock.now().getTime(), limit);
}
