import { z } from 'zod/v4';
import { deleteMember, getMember, listMembers, upsertMember, type Member } from '../../store/members';
import type { AppDeps } from '../deps';
import { notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { cursorQuery, decodeCursor, isoDateTime, keysetPage, limitQuery } from '../schemas';

/** Team members (the actorId of interactions): names and emails, so answers show people rather than ids. */

const memberSchema = z
  .object({
    actorId: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Member' });

const actorParams = z.strictObject({
  actorId: z.string().min(1).max(200).describe('The team member’s id, as interactions name it in actorId'),
});

const memberCursor = z.strictObject({ actorId: z.string() });

function memberJson(member: Member) {
  return { actorId: member.actorId, name: member.name, email: member.email, createdAt: member.createdAt, updatedAt: member.updatedAt };
}

export function memberRoutes(api: RouteRegistry, { db, clock }: AppDeps): void {
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
      const { page, nextCursor } = keysetPage(
        await listMembers(db, auth.workspaceId, query.limit + 1, after?.actorId),
        query.limit,
        (last) => ({ actorId: last.actorId }),
      );
      return { items: page.map(memberJson), nextCursor };
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
