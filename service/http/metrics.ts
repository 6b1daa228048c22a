import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ScoringStatus } from '../app/scoring-status';

export type HttpMetrics = { registry: Registry; middleware: RequestHandler };

/**
 * Request counts and latencies by route template (not by raw URL, which would explode the label set),
 * and the scoring's backlog, lag and rate, read from the database at each scrape (every instance
 * reports the same figures: they are the service's, not the process's).
 */
export function createHttpMetrics(scoring?: () => Promise<ScoringStatus>): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (scoring) scoringGauges(registry, scoring);
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const matched = req.route as { path?: string } | undefined;
      const route = matched?.path ? `${req.baseUrl}${matched.path}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      duration.observe({ method: req.method, route }, seconds);
    });
    next();
  };
  return { registry, middleware };
}

function scoringGauges(registry: Registry, scoring: () => Promise<ScoringStatus>): void {
  // One read per scrape, shared by the gauges (each collects in turn).
  let current: Promise<ScoringStatus | undefined> | undefined;
  const status = () => {
    current ??= scoring()
      .catch(() => undefined)
      .finally(() => setTimeout(() => (current = undefined), 500));
    return current;
  };
  const gauge = (name: string, help: string, read: (status: ScoringStatus) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const found = await status();
        if (found) this.set(read(found));
      },
    });
  gauge('engagement_score_scoring_backlog', 'Interactions accepted but not scored yet', (found) => found.backlog.interactions);
  gauge('engagement_score_scoring_lag_seconds', 'How long the oldest interaction not scored yet has waited', (found) => found.lagSeconds);
  gauge(
    'engagement_score_scoring_interactions_per_second',
    'Interactions scored per second over the last 10 s, all workers',
    (found) => found.perSecond,
  );
  gauge('engagement_score_scoring_workers', 'Scoring workers with a live heartbeat', (found) => found.workers.length);
  gauge('engagement_score_scoring_partitions_unowned', 'Scoring partitions without a live lease', (found) => found.partitions.unowned);
  gauge('engagement_score_scoring_blocked', '1 while an open transaction holds the scoring log back', (found) => (found.blockedBy ? 1 : 0));
}
