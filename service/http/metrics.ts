import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ScoringStatus } from '../app/scoring-status';
import { processMetrics } from '../metrics';
import type { Db } from '../store/db';
import { outboxFigures, type OutboxFigures } from '../store/operations-figures';

export type HttpMetrics = { registry: Registry; middleware: RequestHandler };

/**
 * Request counts and latencies by route template (not by raw URL, which would explode the label set),
 * and the scoring's backlog, lag and rate, read from the database at each scrape (every instance
 * reports the same figures: they are the service's, not the process's).
 */
export function createHttpMetrics(scoring?: () => Promise<ScoringStatus>, db?: Db): HttpMetrics {
  const own = new Registry();
  collectDefaultMetrics({ register: own });
  if (scoring) scoringGauges(own, scoring);
  if (db) {
    databaseGauges(own, db);
    poolGauges(own, db);
  }
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [own],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [own],
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
  // Merged last: a merge copies the metrics registered by then.
  return { registry: Registry.merge([own, processMetrics]), middleware };
}

function scoringGauges(registry: Registry, scoring: () => Promise<ScoringStatus>): void {
  // One read per scrape, shared by the gauges (each collects in turn).
  const status = sharedRead(scoring);
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

/** One read per scrape of what a scrape shares: a lazily started query reused for half a second. */
function sharedRead<T>(read: () => Promise<T>): () => Promise<T | undefined> {
  let current: Promise<T | undefined> | undefined;
  return () => {
    current ??= read()
      .catch(() => undefined)
      .finally(() => setTimeout(() => (current = undefined), 500));
    return current;
  };
}

/** The outbox and the job queue as the database holds them (the same figures on every instance). */
function databaseGauges(registry: Registry, db: Db): void {
  const figures = sharedRead<OutboxFigures>(() => outboxFigures(db));
  new Gauge({
    name: 'engagement_score_deliveries_pending',
    help: 'Webhook deliveries waiting to be delivered (first attempt or a retry)',
    registers: [registry],
    async collect() {
      const found = await figures();
      if (found) this.set(found.pendingDeliveries);
    },
  });
  new Gauge({
    name: 'engagement_score_deliveries_oldest_pending_seconds',
    help: 'Age of the oldest delivery still pending (0 when none is)',
    registers: [registry],
    async collect() {
      const found = await figures();
      if (found) this.set(found.oldestPendingSeconds);
    },
  });
  new Gauge({
    name: 'engagement_score_jobs',
    help: 'Background jobs by kind and state (queued, running, succeeded, failed)',
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      const found = await figures();
      if (!found) return;
      this.reset();
      for (const row of found.jobs) this.set({ kind: row.kind, state: row.state }, row.count);
    },
  });
}

/** This instance's connection pool: a pool that is always full with requests waiting is the bottleneck. */
function poolGauges(registry: Registry, db: Db): void {
  const pool = db as unknown as { totalCount?: number; idleCount?: number; waitingCount?: number };
  new Gauge({
    name: 'engagement_score_db_pool_connections',
    help: "The instance's database connections by state: in_use, idle",
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const total = pool.totalCount ?? 0;
      const idle = pool.idleCount ?? 0;
      this.set({ state: 'in_use' }, total - idle);
      this.set({ state: 'idle' }, idle);
    },
  });
  new Gauge({
    name: 'engagement_score_db_pool_waiting',
    help: 'Queries waiting for a free connection of the pool',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount ?? 0);
    },
  });
}
