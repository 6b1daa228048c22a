import type { LoopHealth } from './loop-health';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { Db } from '../store/db';
import { claimDeliveries, type ClaimedDelivery } from '../store/deliveries';
import { Channel } from '../store/notifications';
import { attemptDelivery, attemptSettings, type AttemptSettings } from './delivery-attempt';
import { WakeLoop } from './wake-loop';

export type DispatcherOptions = Partial<AttemptSettings> & {
  /** Deliveries in flight at once, over all subscriptions. */
  concurrency?: number;
  /** Deliveries of one subscription in flight at once: a slow receiver holds no more slots than this. */
  perSubscription?: number;
  batchSize?: number;
  pollMs?: number;
  /** On stop, how long sends in flight may finish before they are aborted (and given back). */
  stopGraceMs?: number;
};

type InFlight = { delivery: ClaimedDelivery; controller: AbortController; done: Promise<void> };

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

  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger },
    options: DispatcherOptions = {},
  ) {
    this.options = {
      ...attemptSettings(options),
      concurrency: options.concurrency ?? 64,
      perSubscription: options.perSubscription ?? 4,
      batchSize: options.batchSize ?? 50,
      pollMs: options.pollMs ?? 1000,
      stopGraceMs: options.stopGraceMs ?? 1000,
    };
    this.loop = new WakeLoop({
      db: deps.db,
      logger: deps.logger,
      channel: Channel.deliveries,
      pollMs: this.options.pollMs,
      name: 'webhook dispatcher',
      drain: () => this.pump(),
    });
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
      for (const { delivery } of this.inFlight.values())
        sendingBySubscription.set(delivery.subscriptionId, (sendingBySubscription.get(delivery.subscriptionId) ?? 0) + 1);
      // The lease outlasts the attempt's deadline, so nobody else picks the delivery up meanwhile.
      const claimed = await claimDeliveries(
        this.deps.db,
        this.deps.clock.now(),
        this.options.timeoutMs * 2 + 5000,
        room,
        this.options.perSubscription,
        sendingBySubscription,
      );
      for (const delivery of claimed) this.send(delivery);
      claimedTotal += claimed.length;
      if (claimed.length < room) break;
    }
    return claimedTotal;
  }

  private send(delivery: ClaimedDelivery): void {
    const controller = new AbortController();
    const done = attemptDelivery(this.deps, this.options, delivery, controller.signal)
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

  health(): LoopHealth[] {
    return [this.loop.health()];
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
