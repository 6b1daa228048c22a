import { deliveryAttempts } from '../metrics';
import type { Clock } from '../clock';
import { DEFAULT_WEBHOOK_RETRY_HOURS, DEFAULT_WEBHOOK_TIMEOUT_MS } from '../config';
import type { Logger } from '../logger';
import { transaction, type Db } from '../store/db';
import { recordAttempt, releaseDeliveries, type AttemptOutcome, type ClaimedDelivery } from '../store/deliveries';
import { endSubscription } from '../store/subscriptions';
import { postWebhook, signature, standardWebhookHeaders, type SendResult } from './webhook-client';

/** How one webhook attempt is made and judged (the dispatcher's settings; a test event uses the same). */
export type AttemptSettings = {
  /** Deadline of the whole exchange. */
  timeoutMs: number;
  /** Keep retrying a delivery at least this long after it was created (or redelivered). */
  retryForMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  allowPrivateTargets: boolean;
  /** Source of randomness for the jitter (tests pin it). */
  random: () => number;
  /** Real time for signature timestamps, which receivers compare with their own clock. */
  wallClock: () => number;
};

export function attemptSettings(given: Partial<AttemptSettings> = {}): AttemptSettings {
  return {
    timeoutMs: given.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    retryForMs: given.retryForMs ?? DEFAULT_WEBHOOK_RETRY_HOURS * 3_600_000,
    backoffBaseMs: given.backoffBaseMs ?? 10_000,
    backoffMaxMs: given.backoffMaxMs ?? 3_600_000,
    allowPrivateTargets: given.allowPrivateTargets ?? false,
    random: given.random ?? Math.random,
    wallClock: given.wallClock ?? Date.now,
  };
}

/** Delay before attempt n+1 after n failed attempts: exponential, capped, with ±20 % jitter. */
export function backoffMs(failedAttempts: number, base: number, max: number, random: () => number): number {
  const exponential = Math.min(max, base * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/**
 * Sends one leased delivery, signed, and records the attempt: delivered (2xx), gone (410: the
 * subscription is disabled), retried later with backoff, or failed once the retry period is over
 * (at once with `retry: false`, for a test event). An aborted send (the service is stopping) is no
 * attempt: the delivery is given back.
 */
export async function attemptDelivery(
  deps: { db: Db; clock: Clock; logger: Logger },
  settings: AttemptSettings,
  delivery: ClaimedDelivery,
  signal?: AbortSignal,
  options: { retry: boolean } = { retry: true },
): Promise<{ outcome: AttemptOutcome | 'aborted'; result: SendResult }> {
  const body = JSON.stringify(delivery.payload);
  const sentAt = Math.floor(settings.wallClock() / 1000);
  const result = await postWebhook({
    url: delivery.url,
    body,
    timeoutMs: settings.timeoutMs,
    allowPrivate: settings.allowPrivateTargets,
    signal,
    headers: {
      'User-Agent': 'EngagementScore-Webhooks/1.0',
      'X-Engagement-Event-Id': delivery.id,
      'X-Engagement-Event-Type': delivery.type,
      'X-Engagement-Delivery-Attempt': String(delivery.attempts + 1),
      'X-Engagement-Signature': signature(delivery.secret, body, sentAt),
      ...standardWebhookHeaders(delivery.secret, delivery.id, body, sentAt),
    },
  });
  if (signal?.aborted) {
    // Not the receiver's fault: not an attempt. Given back at once for whichever dispatcher runs next.
    await releaseDeliveries(deps.db, [delivery]);
    return { outcome: 'aborted', result };
  }
  const now = deps.clock.now();
  const record = { at: now.toISOString(), status: result.status, error: result.error, ms: result.ms };
  let outcome: AttemptOutcome;
  if (result.error === null && result.status !== null && result.status >= 200 && result.status < 300) {
    outcome = { kind: 'delivered', status: result.status };
  } else if (result.error === null && result.status === 410) {
    outcome = { kind: 'gone', status: 410 };
  } else {
    const error = result.error ?? `receiver answered ${result.status}`;
    const since = delivery.retrySince ?? delivery.createdAt;
    if (!options.retry) {
      outcome = { kind: 'failed', status: result.status, error };
    } else if (now.getTime() >= since.getTime() + settings.retryForMs) {
      outcome = { kind: 'failed', status: result.status, error: `${error}; gave up after retrying since ${since.toISOString()}` };
    } else {
      const delay = backoffMs(delivery.attempts + 1, settings.backoffBaseMs, settings.backoffMaxMs, settings.random);
      outcome = { kind: 'retry', status: result.status, error, nextAttemptAt: new Date(now.getTime() + delay) };
    }
  }
  deliveryAttempts.inc({ outcome: outcome.kind });
  await transaction(deps.db, async (client) => {
    await recordAttempt(client, delivery, outcome, record, now);
    if (outcome.kind === 'gone') {
      await endSubscription(
        client,
        delivery.workspaceId,
        delivery.subscriptionId,
        'disabled',
        `the receiver answered 410 Gone at ${now.toISOString()}`,
        now,
      );
    }
  });
  const log = deps.logger.child({ delivery: delivery.id, subscription: delivery.subscriptionId, attempt: delivery.attempts + 1 });
  if (outcome.kind === 'delivered') log.debug({ status: result.status, ms: result.ms }, 'webhook delivered');
  else if (outcome.kind === 'gone') log.info('webhook receiver is gone (410): subscription disabled');
  else log.info({ status: result.status, error: result.error, outcome: outcome.kind }, 'webhook attempt failed');
  return { outcome, result };
}
