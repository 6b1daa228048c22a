import { z } from 'zod/v4';
import type { ActiveVersion } from '../../scoring/engine';
import { insights } from '../../scoring/insights';
import { accountMembers, accountOverview, contactRelationships, relationshipsOfContacts } from '../../scoring/relationships';
import { bandJson, contactLedger } from '../../scoring/read';
import { getContact, getContacts } from '../../store/contacts';
import { deleteMember, getMember, listMembers, upsertMember, type Member } from '../../store/members';
import { liveVersions } from '../../store/profiles';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { contactIdParams, cursorQuery, decodeCursor, encodeCursor, isoDateTime, limitQuery } from '../schemas';
import { requireLiveVersion } from '../../app/profiles';

const bandSchema = z.object({ name: z.string(), color: z.string() }).nullable();

const contactMovementSchema = z
  .object({
    contactId: z.string(),
    name: z.string().nullable(),
    tags: z.array(z.string()),
    score: z.number(),
    previousScore: z.number().describe('The score at the start of the period'),
    delta: z.number(),
    band: z.string().nullable(),
  })
  .meta({ id: 'ContactMovement' });

const memberStrengthSchema = z
  .object({
    actorId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    strength: z.number().describe('0–100: the profile’s formula applied to this member’s interactions alone'),
    share: z.number().describe('Percent of the contact’s total interaction strength'),
    interactions: z.number().int().describe('Interactions within the profile’s window (all time without one)'),
    lastInteractionAt: isoDateTime.nullable(),
  })
  .meta({ id: 'MemberStrength' });

const memberSchema = z.object({ actorId: z.string(), name: z.string().nullable(), email: z.string().nullable(), createdAt: isoDateTime, updatedAt: isoDateTime }).meta({ id: 'Member' });

const actorParams = z.strictObject({ actorId: z.string().min(1).max(200) });
const accountParams = z.strictObject({ accountId: z.string().min(1).max(200) });
const profileQuery = z.strictObject({
  profileId: z.uuid().optional().describe('Default: the oldest published relationship profile'),
});

const accountSchema = z
  .object({
    accountId: z.string(),
    profileId: z.uuid(),
    version: z.number().int(),
    contacts: z.number().int(),
    score: z.number().nullable().describe('Weighted mean of the five best contacts (weights 5, 4, 3, 2, 1)'),
    band: bandSchema,
    trend: z.object({ delta7d: z.number().nullable(), delta30d: z.number().nullable() }),
    computedAt: isoDateTime,
  })
  .meta({ id: 'Account' });

function memberJson(member: Member) {
  return { actorId: member.actorId, name: member.name, email: member.email, createdAt: member.createdAt, updatedAt: member.updatedAt };
}

const memberCursor = z.strictObject({ actorId: z.string() });

export function relationshipRoutes(api: RouteRegistry, deps: AppDeps): void {
  const { db, clock, engine } = deps;
  /** The profile asked for, or the workspace's oldest published relationship profile. */
  async function chosenVersion(workspaceId: string, profileId: string | undefined): Promise<ActiveVersion> {
    if (profileId) return requireLiveVersion(deps, workspaceId, profileId);
    const relationship = (await liveVersions(db, workspaceId)).find((row) => (row.document as { kind: string }).kind === 'relationship');
    if (!relationship) throw badRequest('No published relationship profile: say which profile to use.', [{ path: 'profileId', message: 'required when no relationship profile is published' }]);
    return requireLiveVersion(deps, workspaceId, relationship.profileId);
  }

  api.add({
    method: 'get',
    path: '/v1/contacts/:contactId/relationships',
    operationId: 'getContactRelationships',
    tag: 'Relationships',
    summary: 'Who knows this contact best: team members ranked by their own strength with the contact',
    role: 'reader',
    params: contactIdParams,
    query: profileQuery,
    response: z.object({ contactId: z.string(), profileId: z.uuid(), version: z.number().int(), score: z.number(), band: bandSchema, computedAt: isoDateTime, items: z.array(memberStrengthSchema) }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) => {
      const version = await chosenVersion(auth.workspaceId, query.profileId);
      const contact = await getContact(db, auth.workspaceId, params.contactId);
      if (!contact) throw notFound(`No contact ${params.contactId}.`);
      const t = clock.now().getTime();
      const score = version.model.report(version.model.rawAt(await contactLedger(db, auth.workspaceId, version.id, contact.id), t));
      return {
        contactId: contact.id,
        profileId: version.profileId,
        version: version.version,
        score,
        band: bandJson(version.model, score),
        computedAt: new Date(t).toISOString(),
        items: await contactRelationships(db, auth.workspaceId, version, contact.id, t),
      };
    },
  });

  async function overview(workspaceId: string, accountId: string, profileId: string | undefined) {
    const version = await chosenVersion(workspaceId, profileId);
    const t = clock.now().getTime();
    await engine.refreshAllStale(db, workspaceId, version, clock);
    const result = await accountOverview(db, workspaceId, version, accountId, t);
    if (result.overview.contacts === 0) throw notFound(`No contact belongs to account ${accountId}.`);
    return { version, t, ...result };
  }

  api.add({
    method: 'get',
    path: '/v1/accounts/:accountId',
    operationId: 'getAccount',
    tag: 'Relationships',
    summary: "An account's score rolled up from its contacts, with its trend",
    role: 'reader',
    params: accountParams,
    query: profileQuery,
    response: accountSchema,
    errors: [404, 409],
    handler: async ({ auth, params, query }) => (await overview(auth.workspaceId, params.accountId, query.profileId)).overview,
  });

  api.add({
    method: 'get',
    path: '/v1/accounts/:accountId/relationships',
    operationId: 'getAccountRelationships',
    tag: 'Relationships',
    summary: "An account's contacts with their scores and strongest team members, and the account's roll-up",
    role: 'reader',
    params: accountParams,
    query: profileQuery,
    response: accountSchema.extend({
      contacts: z.number().int(),
      items: z.array(z.object({ contactId: z.string(), name: z.string().nullable(), email: z.string().nullable(), score: z.number(), band: bandSchema, members: z.array(memberStrengthSchema).describe('The three strongest') })),
      members: z.array(memberStrengthSchema).describe('The account’s strongest team members, over all its contacts'),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) => {
      const { version, t, overview: account, scores } = await overview(auth.workspaceId, params.accountId, query.profileId);
      const ids = [...scores.keys()];
      const [contacts, perContact, members] = await Promise.all([
        getContacts(db, auth.workspaceId, ids),
        relationshipsOfContacts(db, auth.workspaceId, version, ids, t),
        accountMembers(db, auth.workspaceId, version, ids, t),
      ]);
      const items = contacts
        .map((contact) => ({
          contactId: contact.id,
          name: contact.name,
          email: contact.email,
          score: scores.get(contact.id)!,
          band: bandJson(version.model, scores.get(contact.id)!),
          members: (perContact.get(contact.id) ?? []).slice(0, 3),
        }))
        .sort((x, y) => y.score - x.score || (x.contactId < y.contactId ? -1 : 1));
      return { ...account, items, members: members.slice(0, 10) };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/insights',
    operationId: 'getInsights',
    tag: 'Relationships',
    summary: 'The network review: band distribution now and then, average and its change, risers, fallers, who needs attention',
    description: '`needsAttention`: contacts under the lowest band’s upper edge, or that crossed a subscribed threshold downwards in the period — VIP-tagged first, then by how much they dropped.',
    role: 'reader',
    params: z.strictObject({ id: z.uuid() }),
    query: z.strictObject({ days: z.coerce.number().int().min(1).max(365).default(7), limit: z.coerce.number().int().min(1).max(100).default(10) }),
    response: z.object({
      profileId: z.uuid(),
      version: z.number().int(),
      days: z.number().int(),
      from: isoDateTime,
      to: isoDateTime,
      contacts: z.number().int(),
      distribution: z.array(z.object({ band: z.string().nullable(), color: z.string().nullable(), count: z.number().int(), previousCount: z.number().int() })),
      averageScore: z.number().nullable(),
      previousAverageScore: z.number().nullable(),
      averageDelta: z.number().nullable(),
      histogram: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })).describe('Scores now in 20 equal buckets over the profile’s range (or the scores’ span); the last includes its upper edge'),
      risers: z.array(contactMovementSchema),
      fallers: z.array(contactMovementSchema),
      needsAttention: z.array(contactMovementSchema.extend({ reasons: z.array(z.string()) })),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) => {
      const version = await requireLiveVersion(deps, auth.workspaceId, params.id);
      await engine.refreshAllStale(db, auth.workspaceId, version, clock);
      return insights(db, auth.workspaceId, version, query.days, clock.now().getTime(), query.limit);
    },
  });

  api.add({
    method: 'put',
    path: '/v1/members/:actorId',
    operationId: 'upsertMember',
    tag: 'Relationships',
    summary: 'Name a team member (the actorId of interactions), so answers show names',
    role: 'writer',
    params: actorParams,
    body: z.strictObject({ name: z.string().min(1).max(200).nullable().optional(), email: z.email().max(320).nullable().optional() }),
    response: memberSchema,
    handler: async ({ auth, params, body }) => {
      const { member, created } = await upsertMember(db, auth.workspaceId, params.actorId, body, clock.now());
      return new Reply(created ? 201 : 200, memberJson(member));
    },
  });

  api.add({
    method: 'get',
    path: '/v1/members/:actorId',
    operationId: 'getMember',
    tag: 'Relationships',
    summary: 'Get a team member',
    role: 'reader',
    params: actorParams,
    response: memberSchema,
    errors: [404],
    handler: async ({ auth, params }) => {
      const member = await getMember(db, auth.workspaceId, params.actorId);
      if (!member) throw notFound(`No member ${params.actorId}.`);
      return memberJson(member);
    },
  });

  api.add({
    method: 'get',
    path: '/v1/members',
    operationId: 'listMembers',
    tag: 'Relationships',
    summary: 'List team members',
    role: 'reader',
    query: z.strictObject({ limit: limitQuery(1000, 100), cursor: cursorQuery }),
    response: z.object({ items: z.array(memberSchema), nextCursor: z.string().nullable() }),
    handler: async ({ auth, query }) => {
      const after = decodeCursor(query.cursor, memberCursor);
      const rows = await listMembers(db, auth.workspaceId, query.limit + 1, after?.actorId);
      const more = rows.length > query.limit;
      const page = more ? rows.slice(0, query.limit) : rows;
      return { items: page.map(memberJson), nextCursor: more ? encodeCursor({ actorId: page[page.length - 1]!.actorId }) : null };
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/members/:actorId',
    operationId: 'deleteMember',
    tag: 'Relationships',
    summary: "Forget a team member's name and email (their interactions stay)",
    role: 'writer',
    params: actorParams,
    errors: [404],
    handler: async ({ auth, params }) => {
      if (!(await deleteMember(db, auth.workspaceId, params.actorId))) throw notFound(`No member ${params.actorId}.`);
      return undefined;
    },
  });
}
