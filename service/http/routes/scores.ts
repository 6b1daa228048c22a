import { z } from 'zod/v4';
import { requireLiveVersion } from '../../app/profiles';
import { adjustScore, scoreHistory, scoreOf } from '../../app/scores';
import { HISTORY_SIZE, scoreHistorySvg } from '../../charts/score-history';
import { chartFormat, chartQuery, chartResponse, sendChart } from '../../charts/respond';
import { getContact } from '../../store/contacts';
import type { AppDeps } from '../deps';
import { Reply, type RouteRegistry } from '../route';
import {
  bandSchema,
  clampSchema,
  consistencyQuery,
  contactIdSchema,
  countSchema,
  isoDateTime,
  scoreEvidenceFields,
  shownScoreSchema,
  versionNumberSchema,
} from '../schemas';

const scoreParams = z.strictObject({ id: z.uuid(), contactId: contactIdSchema });

export const scoreSchema = z
  .object({
    contactId: z.string(),
    profileId: z.uuid(),
    version: versionNumberSchema.describe('The profile version that computed it'),
    score: shownScoreSchema.describe('Exact as of computedAt, rounded to 2 decimals; null below the profile’s minInteractions'),
    ...scoreEvidenceFields,
    band: bandSchema,
    lastInteractionAt: isoDateTime.nullable(),
    computedAt: isoDateTime,
    trend: z.object({ delta7d: z.number().nullable(), delta30d: z.number().nullable() }).describe('null without a score'),
    next: z
      .object({ threshold: z.number(), direction: z.enum(['down', 'up']), at: isoDateTime })
      .nullable()
      .describe('When time alone (decay, the window) will next take the score across a band edge or a subscribed threshold'),
    explanation: z
      .array(
        z.object({
          rule: z.string(),
          kind: z.enum(['interaction', 'state', 'adjustment']),
          count: countSchema.describe('Matching interactions (or adjustments) that counted'),
          points: z.number(),
          limited: countSchema.optional().describe('Matches that did not count because of the rule’s limit'),
          at: isoDateTime.optional(),
          by: z.string().nullable().optional(),
          reason: z.string().optional(),
        }),
      )
      .describe('Sums exactly to the score before clamping (relationship profiles: to the score)'),
    clamp: clampSchema,
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

export function scoreRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/profiles/:id/scores/:contactId',
    operationId: 'getScore',
    tag: 'Scores',
    summary: "A contact's score in a profile, explained rule by rule",
    role: 'reader',
    params: scoreParams,
    query: z.strictObject({
      asOf: isoDateTime.optional().describe('The score at that moment (default: now)'),
      consistency: consistencyQuery,
    }),
    response: scoreSchema,
    errors: [404, 409, 503],
    handler: async ({ auth, params, query }) =>
      scoreOf(
        ctx,
        auth.workspaceId,
        params.id,
        params.contactId,
        query.asOf ? Date.parse(query.asOf) : ctx.clock.now().getTime(),
        query.consistency,
      ),
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
      interval: z.enum(['day', 'week']).default('day').describe('One point per day or per week'),
      consistency: consistencyQuery,
    }),
    response: z.object({
      profileId: z.uuid(),
      contactId: z.string(),
      interval: z.enum(['day', 'week']),
      points: z.array(z.object({ at: isoDateTime, score: z.number(), band: z.string().nullable() })),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) =>
      scoreHistory(ctx, auth.workspaceId, params.id, params.contactId, {
        from: query.from === undefined ? undefined : Date.parse(query.from),
        to: query.to === undefined ? undefined : Date.parse(query.to),
        interval: query.interval,
        consistency: query.consistency,
      }),
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/scores/:contactId/chart',
    operationId: 'getScoreChart',
    tag: 'Scores',
    summary: "The contact's score history as a chart (SVG or PNG), over the profile's bands",
    description:
      'The points of GET /v1/profiles/{id}/scores/{contactId}/history (same `from`, `to`, `interval`) as a line, over the bands tinted in their colours with their edges drawn. ' +
      'SVG or PNG: `format=` wins, else the `Accept` header (image/svg+xml, image/png), else SVG; 406 when Accept allows neither.',
    role: 'reader',
    params: scoreParams,
    query: z.strictObject({
      from: isoDateTime.optional().describe('Default: 30 days (interval=day) or 26 weeks (interval=week) before `to`'),
      to: isoDateTime.optional().describe('Default: now'),
      interval: z.enum(['day', 'week']).default('day').describe('One point per day or per week'),
      consistency: consistencyQuery,
      ...chartQuery(HISTORY_SIZE),
    }),
    response: chartResponse,
    errors: [404, 406, 409],
    handler: async ({ auth, params, query, req, res }) => {
      const format = chartFormat(req, query.format);
      const series = await scoreHistory(ctx, auth.workspaceId, params.id, params.contactId, {
        from: query.from === undefined ? undefined : Date.parse(query.from),
        to: query.to === undefined ? undefined : Date.parse(query.to),
        interval: query.interval,
        consistency: query.consistency,
      });
      const [version, contact] = await Promise.all([
        requireLiveVersion(ctx, auth.workspaceId, params.id),
        getContact(ctx.db, auth.workspaceId, params.contactId),
      ]);
      const { points } = series;
      const span = points.length > 0 ? `${points[0].at.slice(0, 10)} to ${points[points.length - 1].at.slice(0, 10)}` : 'no points';
      const svg = scoreHistorySvg(
        {
          title: `${contact?.name ?? params.contactId}: ${version.profileName}`,
          subtitle: `Score ${series.interval === 'week' ? 'weekly' : 'daily'}, ${span}`,
          points,
          bands: version.profile.bands,
          range: version.profile.kind === 'relationship' ? { min: 0, max: 100 } : version.profile.range,
        },
        { width: query.width, height: query.height },
      );
      await sendChart(res, svg, format, `score-${params.contactId}-${series.interval}`);
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
    handler: async ({ auth, params, body }) => new Reply(201, await adjustScore(ctx, auth, params.id, params.contactId, body)),
  });
}
