import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { pinoHttp } from 'pino-http';
import { packageRoot } from '../config';
import { KeyUsage } from '../app/key-usage';
import { authenticate } from './auth';
import type { AppDeps } from './deps';
import { consoleRouter } from './console';
import { createHttpMetrics } from './metrics';
import { scoringStatus } from '../app/scoring-status';
import { errorHandler, problem, sendProblem } from './problem';
import { RouteRegistry } from './route';
import { accessRoutes } from './routes/access';
import { accountRoutes } from './routes/accounts';
import { contactRoutes } from './routes/contacts';
import { insightRoutes } from './routes/insights';
import { interactionRoutes } from './routes/interactions';
import { jobRoutes } from './routes/jobs';
import { segmentRoutes } from './routes/segments';
import { memberRoutes } from './routes/members';
import { operationRoutes } from './routes/operations';
import { profileRoutes } from './routes/profiles';
import { relationshipRoutes } from './routes/relationships';
import { scoreRoutes } from './routes/scores';
import { subscriptionRoutes } from './routes/subscriptions';

const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export type App = { app: express.Express; routes: RouteRegistry };

/** The HTTP layer: request ids and logs, metrics, limits, auth, then the routes declared in ./routes. */
export function createApp(deps: AppDeps): App {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Per-request loggers carry only the request id (serialising the whole request for every child logger costs CPU).
      quietReqLogger: true,
      // 503 (the database is away) and a 4xx that carries an error (a value the database refused) are
      // warnings; other 5xx are errors; other 4xx are the client's business.
      customLogLevel: (_req, res, error) =>
        res.statusCode === 503 || (error && res.statusCode < 500)
          ? 'warn'
          : error || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'info'
              : 'debug',
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );

  const metrics = createHttpMetrics(() => scoringStatus(deps), deps.db);
  app.use(metrics.middleware);

  if (deps.config.rateLimitPerSecond > 0) {
    app.use(
      '/v1',
      rateLimit({
        windowMs: 1000,
        limit: deps.config.rateLimitPerSecond,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        // Per API key (hashed, never kept in memory in the clear); per address for unauthenticated calls.
        keyGenerator: (req) => {
          const authorization = req.get('authorization');
          return authorization ? createHash('sha256').update(authorization).digest('base64url') : ipKeyGenerator(req.ip ?? 'unknown');
        },
        handler: (_req, res) => {
          sendProblem(
            res,
            problem(
              429,
              `More than ${deps.config.rateLimitPerSecond} requests per second with this API key; retry after a second.`,
              undefined,
              { 'Retry-After': '1' },
            ),
          );
        },
      }),
    );
  }

  app.use(express.json({ limit: deps.config.bodyLimitBytes, strict: true }));

  const routes = new RouteRegistry();
  app.use(operationRoutes(routes, deps, metrics, version));
  app.use(consoleRouter());
  accessRoutes(routes, deps);
  contactRoutes(routes, deps);
  interactionRoutes(routes, deps);
  profileRoutes(routes, deps);
  jobRoutes(routes, deps);
  scoreRoutes(routes, deps);
  subscriptionRoutes(routes, deps);
  relationshipRoutes(routes, deps);
  accountRoutes(routes, deps);
  insightRoutes(routes, deps);
  memberRoutes(routes, deps);
  segmentRoutes(routes, deps);

  const router = express.Router();
  routes.mount(router, authenticate(deps.db, deps.caches, new KeyUsage(deps.db, deps.clock, deps.logger)));
  app.use(router);

  app.use((req, _res, next) => next(problem(404, `No route ${req.method} ${req.path}.`)));
  app.use(errorHandler());
  return { app, routes };
}
