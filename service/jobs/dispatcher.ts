import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { transaction, type Db } from '../store/db';
import { claimDeliveries, recordAttempt, type AttemptOutcome, type Delivery } from '../store/deliveries';
import { endSubscription } from '../store/subscriptions';
import { WakeLoop } from './wake-loop';
import { postWebhook, signature } from './webhook-client';

export type DispatcherOptions = {
  timeoutMs?: number;
  /** Keep retrying a delivery at least this long after it was created. */
  retryForMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  allowPrivateTargets?: boolean;
  batchSize?: number;
  pollMs?: number;
  /** Source of randomness for the jitter (tests pin it). */
  random?: () => number;
  /** Real time for signature timestamps, which receivers compare with their own clock. */
  wallClock?: () => number;
};

/** Delay before attempt n+1 after n failed attempts: exponential, capped, with ±20 % jitter. */
export function backoffMs(failedAttempts: number, base: number, max: number, random: () => number): number {
  const exponential = Math.min(max, base * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

/**
 * Delivers the outbox: claims due deliveries (FOR UPDATE SKIP LOCKED plus a lease, so instances
 * never send the same one at once), POSTs them signed, and records each attempt. At least once: a
 * crash between sending and recording sends again after the lease, with the same event id.
 */
export class Dispatcher {
  private readonly options: Required<DispatcherOptions>;
  private readonly loop: WakeLoop;

  constructor(private readonly deps: { db: Db; clock: Clock; logger: Logger }, options: DispatcherOptions = {}) {
    this.options = {
      timeoutMs: options.timeoutMs ?? 10_000,
      retryForMs: options.retryForMs ?? 24 * 3_600_000,
      backoffBaseMs: options.backoffBaseMs ?? 10_000,
      backoffMaxMs: options.backoffMaxMs ?? 3_600_000,
      allowPrivateTargets: options.allowPrivateTargets ?? false,
      batchSize: options.batchSize ?? 50,
      pollMs: options.pollMs ?? 1000,
      random: options.random ?? Math.random,
      wallClock: options.wallClock ?? Date.now,
    };
    this.loop = new WakeLoop({ db: deps.db, logger: deps.logger, channel: 'engagement_score_deliveries', pollMs: this.options.pollMs, name: 'dispatcher', drain: () => this.drain() });
  }

  /** Sends one batch of due deliveries; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const now = this.deps.clock.now();
    // The lease outlasts the attempt's timeout, so nobody else picks the delivery up meanwhile.
    const claimed = await claimDeliveries(this.deps.db, now, this.options.timeoutMs * 2 + 5000, this.options.batchSize);
    // One contact's deliveries go out one after the other; different contacts in parallel.
    const byChain = new Map<string, typeof claimed>();
    for (const delivery of claimed) {
      const chain = `${delivery.subscriptionId}\u0000${delivery.contactId}`;
      byChain.set(chain, [...(byChain.get(chain) ?? []), delivery]);
    }
    await Promise.all(
      [...byChain.values()].map(async (chain) => {
        for (const delivery of chain) {
          const outcome = await this.attempt(delivery);
          if (outcome.kind !== 'delivered') break;
        }
      }),
    );
    return claimed.length;
  }

  private async attempt(delivery: Delivery & { url: string; secret: string }): Promise<AttemptOutcome> {
    const body = JSON.stringify(delivery.payload);
    const sentAt = Math.floor(this.options.wallClock() / 1000);
    const result = await postWebhook({
      url: delivery.url,
      body,
      timeoutMs: this.options.timeoutMs,
      allowPrivate: this.options.allowPrivateTargets,
      headers: {
        'User-Agent': 'EngagementScore-Webhooks/1.0',
        'X-Engagement-Event-Id': delivery.id,
        'X-Engagement-Event-Type': delivery.type,
        'X-Engagement-Delivery-Attempt': String(delivery.attempts + 1),
        'X-Engagement-Signature': signature(delivery.secret, body, sentAt),
      },
    });
    const now = this.deps.clock.now();
    const record = { at: now.toISOString(), status: result.status, error: result.error, ms: result.ms };
    let outcome: AttemptOutcome;
    if (result.status !== null && result.status >= 200 && result.status < 300) {
      outcome = { kind: 'delivered', status: result.status };
    } else if (result.status === 410) {
      outcome = { kind: 'gone', status: 410 };
    } else {
      const error = result.error ?? `receiver answered ${result.status}`;
      const giveUpAt = delivery.createdAt.getTime() + this.options.retryForMs;
      if (now.getTime() >= giveUpAt) {
        outcome = { kind: 'failed', status: result.status, error: `${error}; gave up after retrying since ${delivery.createdAt.toISOString()}` };
      } else {
        const delay = backoffMs(delivery.attempts + 1, this.options.backoffBaseMs, this.options.backoffMaxMs, this.options.random);
        outcome = { kind: 'retry', status: result.status, error, nextAttemptAt: new Date(now.getTime() + delay) };
      }
    }
    await transaction(this.deps.db, async (client) => {
      await recordAttempt(client, delivery, outcome, record, now);
      if (outcome.kind === 'gone') {
        await endSubscription(client, delivery.workspaceId, delivery.subscriptionId, 'disabled', `the receiver answered 410 Gone at ${now.toISOString()}`, now);
      }
    });
    const log = this.deps.logger.child({ delivery: delivery.id, subscription: delivery.subscriptionId, attempt: delivery.attempts + 1 });
    if (outcome.kind === 'delivered') log.debug({ status: result.status, ms: result.ms }, 'webhook delivered');
    else if (outcome.kind === 'gone') log.info('webhook receiver is gone (410): subscription disabled');
    else log.info({ status: result.status, error: result.error, outcome: outcome.kind }, 'webhook attempt failed');
    return outcome;
  }

  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.runOnce();
      total += sent;
      if (sent === 0 || this.loop.stopped) return total;
    }
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
