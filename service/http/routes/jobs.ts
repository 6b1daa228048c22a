import { z } from 'zod/v4';
import { jobProgress } from '../../app/jobs';
import type { AppDeps } from '../deps';
import type { RouteRegistry } from '../route';
import { countSchema, isoDateTime, uuidParams } from '../schemas';

export const jobSchema = z
  .object({
    id: z.uuid(),
    kind: z.string().describe('publish, impact, reschedule or purge-version'),
    state: z.enum(['queued', 'running', 'succeeded', 'failed']),
    total: countSchema.describe('Items to go through (contacts, for publishes and impact reports)'),
    done: countSchema.describe('Items gone through so far'),
    percent: z.number().min(0).max(100).describe('done / total, 0–100'),
    ratePerSecond: z.number().nullable().describe('Contacts per second so far (while running)'),
    secondsLeft: z.number().nullable().describe('Estimated time left at the current rate (while running)'),
    createdAt: isoDateTime,
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    error: z.string().optional().describe('Why it failed (or why its last attempt failed, while it is retried)'),
    result: z.unknown().optional().describe('What the job computed (impact reports)'),
  })
  .meta({ id: 'Job' });

export function jobRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/jobs/:id',
    operationId: 'getJob',
    tag: 'Jobs',
    summary: 'Progress of a background job (a publish, an impact report): done/total, rate, time left, result',
    role: 'reader',
    params: uuidParams,
    response: jobSchema,
    errors: [404],
    handler: async ({ auth, params }) => jobProgress(ctx, auth.workspaceId, params.id),
  });
}
