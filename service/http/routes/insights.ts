import { z } from 'zod/v4';
import { requireLiveVersion } from '../../app/profiles';
import { networkReview } from '../../app/relationships';
import { bandDistributionSvg, DISTRIBUTION_SIZE } from '../../charts/band-distribution';
import { chartFormat, chartQuery, chartResponse, sendChart } from '../../charts/respond';
import type { AppDeps } from '../deps';
import type { RouteRegistry } from '../route';
import { consistencyQuery, countSchema, isoDateTime, versionNumberSchema } from '../schemas';

/** The network review of a profile (the weekly "how are our relationships doing"). */

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

export function insightRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/profiles/:id/insights',
    operationId: 'getInsights',
    tag: 'Relationships',
    summary: 'The network review: band distribution now and then, average and its change, risers, fallers, who needs attention',
    description:
      '`needsAttention`: contacts under the lowest band’s upper edge, or that crossed a subscribed threshold downwards in the period — VIP-tagged first, then by how much they dropped.',
    role: 'reader',
    params: z.strictObject({ id: z.uuid() }),
    query: z.strictObject({
      days: z.coerce.number().int().min(1).max(365).default(7).describe('The period: the last this many days (1–365, default 7)'),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .describe('Contacts per list: risers, fallers, needs attention (1–100, default 10)'),
      consistency: consistencyQuery,
    }),
    response: z.object({
      profileId: z.uuid(),
      version: versionNumberSchema,
      days: z.number().int().min(1).max(365),
      from: isoDateTime,
      to: isoDateTime,
      contacts: countSchema.describe('Contacts scored in the profile'),
      distribution: z.array(
        z.object({ band: z.string().nullable(), color: z.string().nullable(), count: countSchema, previousCount: countSchema }),
      ),
      averageScore: z.number().nullable(),
      previousAverageScore: z.number().nullable(),
      averageDelta: z.number().nullable(),
      histogram: z
        .array(z.object({ from: z.number(), to: z.number(), count: countSchema }))
        .describe('Scores now in 20 equal buckets over the profile’s range (or the scores’ span); the last includes its upper edge'),
      risers: z.array(contactMovementSchema),
      fallers: z.array(contactMovementSchema),
      needsAttention: z.array(contactMovementSchema.extend({ reasons: z.array(z.string()) })),
    }),
    errors: [404, 409],
    handler: async ({ auth, params, query }) => networkReview(ctx, auth.workspaceId, params.id, query.days, query.limit, query.consistency),
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/insights/chart',
    operationId: 'getInsightsChart',
    tag: 'Relationships',
    summary: 'The band distribution now and `days` ago as a chart (SVG or PNG), for emails and chat messages',
    description:
      'The `distribution` of GET /v1/profiles/{id}/insights drawn as bars in the bands’ colours: per band the count `days` ago (paler) and now. ' +
      'SVG or PNG: `format=` wins, else the `Accept` header (image/svg+xml, image/png), else SVG; 406 when Accept allows neither.',
    role: 'reader',
    params: z.strictObject({ id: z.uuid() }),
    query: z.strictObject({
      days: z.coerce.number().int().min(1).max(365).default(7).describe('Compare now with this many days ago (1–365, default 7)'),
      consistency: consistencyQuery,
      ...chartQuery(DISTRIBUTION_SIZE),
    }),
    response: chartResponse,
    errors: [404, 406, 409],
    handler: async ({ auth, params, query, req, res }) => {
      const format = chartFormat(req, query.format);
      const review = await networkReview(ctx, auth.workspaceId, params.id, query.days, 1, query.consistency);
      const version = await requireLiveVersion(ctx, auth.workspaceId, params.id);
      const svg = bandDistributionSvg(
        {
          title: `${version.profileName}: contacts by band`,
          subtitle: `${review.contacts} contacts · now (${review.to.slice(0, 10)}) and ${review.days} ${review.days === 1 ? 'day' : 'days'} ago (${review.from.slice(0, 10)})`,
          days: review.days,
          bars: review.distribution,
        },
        { width: query.width, height: query.height },
      );
      await sendChart(res, svg, format, `insights-${review.to.slice(0, 10)}-${review.days}d`);
    },
  });
}
