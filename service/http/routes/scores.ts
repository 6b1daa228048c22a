import { z } from 'zod/v4';
import { DAY_MS } from '../../scoring/math';
import { contactLedger, history, readScore } from '../../scoring/read';
import { insertAdjustment } from '../../store/adjustments';
import { getContact, lockContacts } from '../../store/contacts';
import { transaction } from '../../store/db';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../problem';
import type { RouteRegistry } from '../route';
import { contactIdSchema, isoDateTime } from '../schemas';
import { requireLiveVersion } from '../../app/profiles';

const scoreParams = z.strictObject({ id: z.uuid(), contactId: contactIdSchema });

const bandSchema = z.object({ name: z.string(), color: z.string() }).nullable();

export const scoreSchema = z
  .object({
    contactId: z.string(),
    profileId: z.uuid(),
    version: z.number().int(),
    score: z.number().describe('Exact as of computedAt, rounded to 2 decimals'),
    band: bandSchema,
    lastInteractionAt: isoDateTime.nullable(),
    computedAt: isoDateTime,
    trend: z.object({ delta7d: z.number(), delta30d: z.number() }),
    next: z
      .object({ threshold: z.number(), direction: z.enum(['down', 'up']), at: isoDateTime })
      .nullable()
      .describe('When time alone (decay, the window) will next take the score across a band edge or a subscribed threshold'),
    explanation: z.array(
      z.object({
        rule: z.string(),
        kind: z.enum(['interaction', 'state', 'adjustment']),
        count: z.number().int(),
        points: z.number(),
        limited: z.number().int().optional().describe('Matches that did not count because of the rule’s limit'),
        at: isoDateTime.optional(),
        by: z.string().nullable().optional(),
        reason: z.string().optional(),
      }),
    ).describe('Sums exactly to the score before clamping (relationship profiles: to the score)'),
    clamp: z.object({ applied: z.enum(['min', 'max']), bound: z.number(), unclamped: z.number() }).nullable().describe('Set when the range clamped the score'),
    suggestions: z.array(z.object({ action: z.string(), message: z.string() })),
  })
  .meta({ id: 'Score' });

const adjustmentBody = z
  .strictObject({
    delta: z.number().min(-1e6).max(1e6).optional().describe('Add this (negative subtracts)'),
    set: z.number().min(-1e9).max(1e9).optional().describe('Make the score this now'),
    reason: z.string().min(1).max(500),
  })
  .refine((body) => (body.delta === undefined) !== (body.set === undefined), { message: 'give either delta or set', path: ['delta'] });

export function scoreRoutes(api: RouteRegistry, deps: AppDeps): void {
  const { db, clock, engine } = deps;

  async function scoreFor(workspaceId: string, profileId: string, contactId: string, t: number) {
    const version = await requireLiveVersion(deps, workspaceId, profileId);
    const answer = await readScore(db, workspaceId, version, contactId, t, { thresholds: version.thresholds });
    if (!answer) throw notFound(`No contact ${contactId}.`);
    return answer;
  }

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/scores/:contactId',
    operationId: 'getScore',
    tag: 'Scores',
    summary: "A contact's score in a profile, explained rule by rule",
    role: 'reader',
    params: scoreParams,
    query: z.strictObject({ asOf: isoDateTime.optional().describe('The score at that moment (default: now)') }),
    response: scoreSchema,
    errors: [404, 409],
    handler: async ({ auth, params, query }) => {
      const t = query.asOf ? new Date(query.asOf).getTime() : clock.now().getTime();
      return scoreFor(auth.workspaceId, params.id, params.contactId, t);
    },
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/scores/:contactId/history',
    operationId: 'getScoreHistory',
    tag: 'Scores',
    summary: 'The score over time, recomputed from the ledger',
    role: 'reader',
    params: scoreParams,
    query: z.strictObject({
      from: isoDateTime.optional().describe('Default: 30 days (interval=day) or 26 weeks (interval=week) before `to`'),
      to: isoDateTime.optional().describe('Default: now'),
      interval: z.enum(['day', 'week']).default('day'),
    }),
    response: z.object({ profileId: z.uuid(), contactId: z.string(), interval: z.enum(['day', 'week']), points: z.array(z.object({ at: isoDateTime, score: z.number(), band: z.string().nullable() })) }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) => {
      const step = query.interval === 'week' ? 7 * DAY_MS : DAY_MS;
      const to = query.to ? new Date(query.to).getTime() : clock.now().getTime();
      const from = query.from ? new Date(query.from).getTime() : to - (query.interval === 'week' ? 26 : 30) * step;
      if (from > to) throw badRequest('from is after to.', [{ path: 'from', message: 'after to' }]);
      if ((to - from) / step > 1000) throw badRequest('At most 1000 points per series; narrow from–to or use interval=week.', [{ path: 'from', message: 'too far before to' }]);
      const version = await requireLiveVersion(deps, auth.workspaceId, params.id);
      if (!(await getContact(db, auth.workspaceId, params.contactId))) throw notFound(`No contact ${params.contactId}.`);
      const entries = await contactLedger(db, auth.workspaceId, version.id, params.contactId);
      return { profileId: params.id, contactId: params.contactId, interval: query.interval, points: history(version.model, entries, from, to, step) };
    },
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/scores/:contactId/adjustments',
    operationId: 'adjustScore',
    tag: 'Scores',
    summary: 'Update a score: add, subtract or set it, with a reason (kept in the ledger)',
    description: 'Works for every profile kind. An adjustment is a contribution made now: it decays and leaves the window like the others.',
    role: 'writer',
    params: scoreParams,
    body: adjustmentBody,
    status: 201,
    response: scoreSchema,
    errors: [404, 409],
    handler: async ({ auth, params, body }) => {
      await requireLiveVersion(deps, auth.workspaceId, params.id);
      const now = clock.now().getTime();
      await transaction(db, async (client) => {
        const [contact] = await lockContacts(client, auth.workspaceId, [params.contactId]);
        if (!contact) throw notFound(`No contact ${params.contactId}.`);
        const versions = (await engine.activeVersions(client, auth.workspaceId)).filter((version) => version.profileId === params.id);
        const mode = body.set === undefined ? 'delta' : 'set';
        const adjustment = await insertAdjustment(client, auth.workspaceId, {
          profileId: params.id,
          contactId: params.contactId,
          at: now,
          mode,
          value: (mode === 'set' ? body.set : body.delta)!,
          reason: body.reason,
          keyId: auth.keyId,
          keyName: auth.keyName,
        });
        await engine.adjust(client, auth.workspaceId, versions, params.contactId, { id: adjustment.id, mode, value: adjustment.value }, now);
      });
      return scoreFor(auth.workspaceId, params.id, params.contactId, now);
    },
  });
}
