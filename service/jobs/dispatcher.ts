import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { transaction, type Db } from '../store/db';
import { claimDeliveries, recordAttempt, releaseDeliveries, type AttemptOutcome, type Delivery } from '../store/deliveries';
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
  /** Deliveries in flight at once, over all subscriptions. */
  concurrency?: number;
  /** Deliveries of one subscription in flight at once: a slow receiver holds no more slots than this. */
  perSubscription?: number;
  batchSize?: number;
  pollMs?: number;
  /** On stop, how long sends in flight may finish before they are aborted (and given back). */
  stopGraceMs?: number;
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

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY_HOURS = 24;

type Claimed = Delivery & { url: string; secret: string };
type InFlight = { delivery: Claimed; controller: AbortController; done: Promise<void> };

/**
 * Delivers the outbox: claims due deliveries (FOR UPDATE SKIP LOCKED plus a lease, so instances
 * never send the same one at once), POSTs them signed, and records each attempt. At least once: a
 * crash between sending and recording sends again after the lease, with the same event id.
 *
 * Sends run side by side up to `concurrency`, at most `perSubscription` per subscription, each within
 * its deadline; a finished send makes room for the next claim at once, so no receiver, however slow,
 * makes the others wait for more than one timeout.
 */
export class Dispatcher {
  private readonly options: Required<DispatcherOptions>;
  private readonly loop: WakeLoop;
  private readonly inFlight = new Map<string, InFlight>();
  private stopping = false;

  constructor(private readonly deps: { db: Db; clock: Clock; logger: Logger }, options: DispatcherOptions = {}) {
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
      retryForMs: options.retryForMs ?? DEFAULT_RETRY_HOURS * 3_600_000,
      backoffBaseMs: options.backoffBaseMs ?? 10_000,
      backoffMaxMs: options.backoffMaxMs ?? 3_600_000,
      allowPrivateTargets: options.allowPrivateTargets ?? false,
      concurrency: options.concurrency ?? 64,
      perSubscription: options.perSubscription ?? 4,
      batchSize: options.batchSize ?? 50,
      pollMs: options.pollMs ?? 1000,
      stopGraceMs: options.stopGraceMs ?? 1000,
      random: options.random ?? Math.random,
      wallClock: options.wallClock ?? Date.now,
    };
    this.loop = new WakeLoop({ db: deps.db, logger: deps.logger, channel: 'engagement_score_deliveries', pollMs: this.options.pollMs, name: 'dispatcher', drain: () => this.pump() });
  }

  /** Deliveries being sent right now. */
  get sending(): number {
    return this.inFlight.size;
  }

  get loopState() {
    return this.loop;
  }

  /** Claims what is due while there is room, and starts sending it; returns how many were claimed. */
  async pump(): Promise<number> {
    let claimedTotal = 0;
    while (!this.stopping) {
      const room = Math.min(this.options.concurrency - this.inFlight.size, this.options.batchSize);
      if (room <= 0) break;
      const sendingBySubscription = new Map<string, number>();
      for (const { delivery } of this.inFlight.values()) sendingBySubscription.set(delivery.subscriptionId, (sendingBySubscription.get(delivery.subscriptionId) ?? 0) + 1);
      // The lease outlasts the attempt's deadline, so nobody else picks the delivery up meanwhile.
      const claimed = await claimDeliveries(this.deps.db, this.deps.clock.now(), this.options.timeoutMs * 2 + 5000, room, this.options.perSubscription, sendingBySubscription);
      for (const delivery of claimed) this.send(delivery);
      claimedTotal += claimed.length;
      if (claimed.length < room) break;
    }
    return claimedTotal;
  }

  private send(delivery: Claimed): void {
    const controller = new AbortController();
    const done = this.attempt(delivery, controller.signal)
      .then(() => undefined)
      .catch((error: unknown) => {
        // Recording failed (the database went away): the lease runs out and the delivery is sent again.
        this.deps.logger.warn({ err: error, delivery: delivery.id }, 'could not record a webhook attempt; it will be retried');
      })
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.loop.wake();
      });
    this.inFlight.set(delivery.id, { delivery, controller, done });
  }

  /** Sends until nothing is due and nothing is in flight (tests, and a final flush). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.pump();
      total += claimed;
      if (this.inFlight.size === 0) {
        if (claimed === 0 || this.stopping) return total;
        continue;
      }
      await Promise.race([...this.inFlight.values()].map((flight) => flight.done));
    }
  }

  private async attempt(delivery: Claimed, signal: AbortSignal): Promise<AttemptOutcome | 'aborted'> {
    const body = JSON.stringify(delivery.payload);
    const sentAt = Math.floor(this.options.wallClock() / 1000);
    const result = await postWebhook({
      url: delivery.url,
      body,
      timeoutMs: this.options.timeoutMs,
      allowPrivate: this.options.allowPrivateTargets,
      signal,
      headers: {
        'User-Agent': 'EngagementScore-Webhooks/1.0',
        'X-Engagement-Event-Id': delivery.id,
        'X-Engagement-Event-Type': delivery.type,
        'X-Engagement-Delivery-Attempt': String(delivery.attempts + 1),
        'X-Engagement-Signature': signature(delivery.secret, body, sentAt),
      },
    });
    if (signal.aborted) {
      // Not the receiver's fault: not an attempt. Given back at once for whichever dispatcher runs next.
      await releaseDeliveries(this.deps.db, [delivery]);
      return 'aborted';
    }
    const now = this.deps.clock.now();
    const record = { at: now.toISOString(), status: result.status, error: result.error, ms: result.ms };
    let outcome: AttemptOutcome;
    if (result.error === null && result.status !== null && result.status >= 200 && result.status < 300) {
      outcome = { kind: 'delivered', status: result.status };
    } else if (result.error === null && result.status === 410) {
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

  start(): Promise<void> {
    this.stopping = false;
    return this.loop.start();
  }

  /** Stops claiming; sends in flight get `stopGraceMs` to finish, then are aborted and given back. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop.stop();
    const flights = [...this.inFlight.values()];
    if (flights.length === 0) return;
    const grace = setTimeout(() => flights.forEach((flight) => flight.controller.abort()), this.options.stopGraceMs);
    await Promise.all(flights.map((flight) => flight.done));
    clearTimeout(grace);
  }
}
