import { Counter, Histogram, Registry } from 'prom-client';

/**
 * What this process counts as it works, for /metrics (createHttpMetrics merges it with the request
 * metrics and the figures read from the database at each scrape). Process-wide, as prom-client's
 * default registry would be, but kept apart so each test app can still build its own.
 */
export const processMetrics = new Registry();

export const interactionsReceived = new Counter({
  name: 'engagement_score_interactions_received_total',
  help: 'Interactions received through POST /v1/interactions, by outcome: accepted (new) or duplicate (an id already stored)',
  labelNames: ['outcome'] as const,
  registers: [processMetrics],
});

export const deliveryAttempts = new Counter({
  name: 'engagement_score_delivery_attempts_total',
  help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up), gone (410: subscription disabled)',
  labelNames: ['outcome'] as const,
  registers: [processMetrics],
});

export const jobRunSeconds = new Histogram({
  name: 'engagement_score_job_run_duration_seconds',
  help: 'Background job runs (a run may be a resumed part of a job) by kind and outcome: succeeded, released (to resume later) or failed',
  labelNames: ['kind', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
  registers: [processMetrics],
});

export const timeStepSeconds = new Histogram({
  name: 'engagement_score_time_step_pass_duration_seconds',
  help: 'Time-step passes of the scoring workers (expiries and decay crossings that come due with time alone)',
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [processMetrics],
});

export const timeStepContacts = new Counter({
  name: 'engagement_score_time_step_contacts_due_total',
  help: 'Contacts the time-step passes found due and moved',
  registers: [processMetrics],
});
