import path from 'node:path';
import express from 'express';
import { z } from 'zod/v4';
import { scoringStatus } from '../../app/scoring-status';
import { pendingMigrations } from '../../store/schema-status';
import type { AppDeps } from '../deps';
import type { HttpMetrics } from '../metrics';
import { buildOpenApi } from '../openapi';
import { countSchema, isoDateTime } from '../schemas';
import { problem, UNAVAILABLE_RETRY_SECONDS } from '../problem';

const retryAfter = { 'Retry-After': String(UNAVAILABLE_RETRY_SECONDS) };
import type { RouteRegistry } from '../route';

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Engagement Score API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/docs-init.js"></script>
</body>
</html>`;

// A separate file rather than an inline script, so a strict Content-Security-Policy can apply to /docs.
const docsInit = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true, persistAuthorization: true });`;

// The folder of swagger-ui-dist's files, found without loading its 1.5 MB bundle into the service.
const swaggerUiFolder = path.dirname(require.resolve('swagger-ui-dist/absolute-path.js'));

export function operationRoutes(api: RouteRegistry, deps: AppDeps, metrics: HttpMetrics, version: string): express.Router {
  api.add({
    method: 'get',
    path: '/healthz',
    operationId: 'health',
    tag: 'Operations',
    summary: 'The process is up',
    role: 'public',
    response: z.object({ status: z.literal('ok') }),
    handler: () => ({ status: 'ok' }),
  });

  api.add({
    method: 'get',
    path: '/readyz',
    operationId: 'ready',
    tag: 'Operations',
    summary: 'The database is reachable, every migration is applied, and the background loops are alive',
    description:
      'Also says how each background loop of this instance is doing (jobs, webhook dispatcher, retention, scoring workers) and whether their LISTEN connections are up. A loop that is merely busy (a long publish, a backlog) never fails readiness; a loop that stopped running (no pass for over a minute while none runs) answers 503, so the instance gets restarted.',
    role: 'public',
    response: z.object({
      status: z.literal('ready'),
      background: z.object({
        loops: z.array(
          z.object({
            name: z.string(),
            state: z.enum(['idle', 'busy', 'failing', 'stalled']),
            listening: z.boolean().nullable().describe('Whether its LISTEN connection is up; null for a loop that only polls'),
            lastPassAt: isoDateTime.nullable(),
            busySince: isoDateTime.nullable(),
            lastError: z.string().nullable(),
          }),
        ),
        cacheInvalidations: z.boolean().describe('Whether the read caches hear invalidations (otherwise they read through)'),
      }),
    }),
    errors: [503],
    handler: async () => {
      let pending: string[];
      try {
        pending = await pendingMigrations((sql) => deps.db.query(sql));
      } catch (error) {
        throw problem(503, `The database is not reachable: ${(error as Error).message}`, undefined, retryAfter);
      }
      if (pending.length > 0) throw problem(503, `Migrations not applied yet: ${pending.join(', ')}`, undefined, retryAfter);
      const loops = deps.background?.() ?? [];
      const stalled = loops.filter((loop) => loop.state === 'stalled');
      if (stalled.length > 0)
        throw problem(
          503,
          `Background work has stopped: ${stalled.map((loop) => loop.name).join(', ')}.`,
          stalled.map((loop) => ({
            path: `background.${loop.name}`,
            message: loop.lastError ?? `no pass since ${loop.lastPassAt ?? 'start'}`,
          })),
          retryAfter,
        );
      return { status: 'ready', background: { loops, cacheInvalidations: deps.caches?.connected ?? false } };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/ops/scoring',
    operationId: 'getScoringStatus',
    tag: 'Operations',
    summary: 'How far behind the scoring is: backlog, lag, rate, workers and what holds the log back',
    description:
      'Interactions are scored by background workers right after they are accepted (docs/scoring-pipeline.md). `lagSeconds` is how long the oldest interaction not scored yet has waited; `blockedBy` names a transaction open on the database server that the log waits for.',
    role: 'admin',
    response: z.object({
      backlog: z.object({
        interactions: countSchema.describe('Interactions accepted and not scored yet'),
        oldestReceivedAt: isoDateTime.nullable(),
      }),
      lagSeconds: z.number(),
      perSecond: z.number().describe('Interactions scored per second over the last 10 s, all workers together'),
      partitions: z.object({
        total: countSchema,
        unowned: countSchema.describe('Without a live lease (taken over within seconds)'),
      }),
      workers: z.array(
        z.object({
          workerId: z.string(),
          partitions: countSchema,
          perSecond: z.number(),
          lastPassMs: countSchema.nullable().describe('How long its last pass over the log took (ms)'),
          seenAt: isoDateTime,
          startedAt: isoDateTime,
        }),
      ),
      blockedBy: z
        .object({
          pid: z.number().int().min(1).max(2_147_483_647).describe('The PostgreSQL backend’s process id'),
          database: z.string().nullable(),
          application: z.string().nullable(),
          state: z.string().nullable(),
          transactionStartedAt: isoDateTime.nullable(),
        })
        .nullable(),
    }),
    handler: () => scoringStatus(deps),
  });

  const router = express.Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  let openApi: unknown;
  router.get('/openapi.json', (_req, res) => {
    openApi ??= buildOpenApi(api.routes, {
      version,
      serverUrl: deps.config.publicUrl,
      rateLimitPerSecond: deps.config.rateLimitPerSecond,
    });
    res.json(openApi);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(docsPage);
  });
  router.get('/docs/assets/docs-init.js', (_req, res) => {
    res.type('application/javascript').send(docsInit);
  });
  router.use('/docs/assets', express.static(swaggerUiFolder, { index: false }));
  return router;
}
