import { randomBytes, randomUUID } from 'node:crypto';
import { attemptDelivery, attemptSettings } from '../jobs/delivery-attempt';
import { refuseTarget } from '../jobs/webhook-client';
import { round2, ScoreModel } from '../scoring/math';
import { compileProfile, type ProfileDocument } from '../scoring/profile';
import { transaction } from '../store/db';
import { getDelivery, insertLeasedDelivery, redeliver, type Delivery } from '../store/deliveries';
import { insertJob } from '../store/jobs';
import { getVersion } from '../store/profiles';
import type { Segment } from '../store/segments';
import {
  endSubscription,
  getSubscription,
  insertSubscription,
  listSubscriptions,
  type Subscription,
  type SubscriptionEvent,
} from '../store/subscriptions';
import type { AppContext } from './context';
import { conflict, invalid, notFound } from './errors';
import { requireProfile } from './profiles';
import { requireSegmentRow, startWatching, stopWatchingIfUnheard } from './segments';

/** Threshold triggers: subscribing a URL, test events, redelivering. */

export type NewSubscription = {
  /** A profile's crossings (score.* and band.changed)… */
  profileId?: string;
  /** …or a segment's entries and exits (segment.entered, segment.left). */
  segmentId?: string;
  event: SubscriptionEvent;
  threshold?: number;
  tags?: string[];
  url: string;
  description?: string;
};

export async function createSubscription(ctx: AppContext, workspaceId: string, input: NewSubscription): Promise<Subscription> {
  const refused = await refuseTarget(input.url, ctx.config.allowPrivateWebhookTargets);
  if (refused) throw invalid(`This URL cannot receive webhooks: ${refused}.`, [{ path: 'url', message: refused }]);
  const now = ctx.clock.now();
  if (input.segmentId !== undefined) return subscribeToSegment(ctx, workspaceId, { ...input, segmentId: input.segmentId }, now);
  const profileId = input.profileId!;
  return transaction(ctx.db, async (client) => {
    await requireProfile(client, workspaceId, profileId);
    const watched =
      input.threshold === undefined ||
      (await listSubscriptions(client, workspaceId, profileId)).some(
        (existing) => existing.status === 'active' && existing.threshold === input.threshold,
      );
    const created = await insertSubscription(
      client,
      workspaceId,
      {
        profileId,
        segmentId: null,
        event: input.event,
        threshold: input.threshold ?? null,
        tags: input.tags ?? null,
        url: input.url,
        description: input.description ?? null,
        // Standard Webhooks' secret format: whsec_ + the key in (standard) base64.
        secret: `whsec_${randomBytes(32).toString('base64')}`,
      },
      now,
    );
    // A level nobody watched before: every contact's next due time may come earlier now.
    if (!watched) await insertJob(client, workspaceId, 'reschedule', { profileId }, now);
    return created;
  });
}

/**
 * A subscription to a segment's entries and exits. The first one makes the segment watched: its
 * members are taken as they are now (nobody is told about them), and from then on every change is.
 */
async function subscribeToSegment(
  ctx: AppContext,
  workspaceId: string,
  input: NewSubscription & { segmentId: string },
  now: Date,
): Promise<Subscription> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const created = await transaction(ctx.db, async (client) => {
    const segment = await requireSegmentRow(client, workspaceId, input.segmentId, true);
    const subscription = await insertSubscription(
      client,
      workspaceId,
      {
        profileId: null,
        segmentId: segment.id,
        event: input.event,
        threshold: null,
        tags: null,
        url: input.url,
        description: input.description ?? null,
        secret,
      },
      now,
    );
    return { subscription, segment };
  });
  if (created.segment.membersSince === null) await startWatching(ctx, workspaceId, created.segment.id);
  return created.subscription;
}

export async function requireSubscription(ctx: AppContext, workspaceId: string, id: string): Promise<Subscription> {
  const subscription = await getSubscription(ctx.db, workspaceId, id);
  if (!subscription) throw notFound(`No subscription ${id}.`);
  return subscription;
}

export async function deleteSubscription(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
  const subscription = await requireSubscription(ctx, workspaceId, id);
  await transaction(ctx.db, (client) => endSubscription(client, workspaceId, id, 'deleted', null, ctx.clock.now()));
  if (subscription.segmentId !== null) await stopWatchingIfUnheard(ctx, workspaceId, subscription.segmentId);
}

/** A made-up contact for test events: every field a real delivery has, none of a real person's data. */
const SAMPLE_CONTACT = {
  id: 'sample-contact',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  tags: ['vip'],
  ownerId: 'rep-1',
  accountId: 'analytical-engines',
};

/** A delivery body of the subscription's event type, as a real crossing of its threshold would look, with `test: true`. */
function samplePayload(subscription: Subscription, profile: { id: string; name: string; document: ProfileDocument }, at: Date) {
  const model = new ScoreModel(compileProfile(profile.document));
  const bands = model.profile.bands;
  const band = (score: number) => {
    const found = model.bandOf(score);
    return found ? { name: found.name, color: found.color } : null;
  };
  const low = model.profile.range?.min ?? 0;
  const high = model.profile.range?.max ?? 100;
  let previousScore: number;
  let score: number;
  let direction: 'down' | 'up';
  if (subscription.event === 'band.changed') {
    // From the middle of the second band to the middle of the first (or a plain drop without bands).
    const [first, second] = bands;
    previousScore = second ? (second.min + second.max) / 2 : (low + high) * 0.6;
    score = first ? (first.min + first.max) / 2 : (low + high) * 0.3;
    direction = 'down';
  } else {
    const threshold = subscription.threshold!;
    direction = subscription.event === 'score.rose_above' ? 'up' : 'down';
    const step = Math.max(1, (high - low) / 20);
    previousScore = direction === 'down' ? threshold + step : threshold - step;
    score = direction === 'down' ? threshold - step / 2 : threshold + step / 2;
  }
  const round = (value: number) => round2(Math.min(high, Math.max(low, value)));
  previousScore = round(previousScore);
  score = round(score);
  return {
    test: true,
    type: subscription.event,
    occurredAt: at.toISOString(),
    profile: { id: profile.id, name: profile.name },
    contact: { ...SAMPLE_CONTACT, tags: subscription.tags ?? SAMPLE_CONTACT.tags },
    score,
    previousScore,
    threshold: subscription.threshold,
    direction,
    band: band(score),
    previousBand: band(previousScore),
    cause: 'test',
    suggestions: [{ action: 'schedule_call', message: `This is a test event: ${SAMPLE_CONTACT.name} would get a call.` }],
  };
}

/** A segment.entered / segment.left body as a real one would look, with `test: true`. */
function sampleSegmentPayload(
  subscription: Subscription,
  segment: Segment,
  profile: { id: string; name: string; model: ScoreModel } | undefined,
  at: Date,
) {
  const { filter } = segment;
  // A score on the segment's bound: inside it for an entry, just outside for an exit.
  const low = profile?.model.profile.range?.min ?? 0;
  const high = profile?.model.profile.range?.max ?? 100;
  const entering = subscription.event === 'segment.entered';
  const raw =
    filter.minScore !== undefined
      ? filter.minScore + (entering ? 0 : -1)
      : filter.maxScore !== undefined
        ? filter.maxScore + (entering ? 0 : 1)
        : (low + high) / 2;
  const score = round2(Math.min(high, Math.max(low, raw)));
  return {
    test: true,
    type: subscription.event,
    occurredAt: at.toISOString(),
    segment: { id: segment.id, name: segment.name },
    contact: { ...SAMPLE_CONTACT, tags: filter.allTags ?? filter.tags ?? SAMPLE_CONTACT.tags },
    ...(profile ? { profile: { id: profile.id, name: profile.name }, score, band: profile.model.bandView(score) } : {}),
    cause: 'test',
  };
}

/**
 * Sends a signed sample delivery of the subscription's event type to its URL now, and answers with
 * what the receiver said. It appears in the delivery log like any other, and is not retried.
 */
export async function sendTestEvent(ctx: AppContext, workspaceId: string, subscriptionId: string) {
  const subscription = await requireSubscription(ctx, workspaceId, subscriptionId);
  if (subscription.status !== 'active')
    throw conflict(
      `Subscription ${subscriptionId} is ${subscription.status}${subscription.statusReason ? ` (${subscription.statusReason})` : ''}.`,
    );
  const now = ctx.clock.now();
  const id = randomUUID();
  let payload: Record<string, unknown>;
  if (subscription.segmentId !== null) {
    const segment = await requireSegmentRow(ctx.db, workspaceId, subscription.segmentId);
    const profileId = segment.filter.profileId;
    const profile = profileId === undefined ? undefined : await requireProfile(ctx.db, workspaceId, profileId);
    const live = profile?.liveVersionId == null ? undefined : await getVersion(ctx.db, workspaceId, profile.liveVersionId);
    const scoring =
      profile && live
        ? { id: profile.id, name: profile.name, model: new ScoreModel(compileProfile(live.document as ProfileDocument)) }
        : undefined;
    payload = { id, ...sampleSegmentPayload(subscription, segment, scoring, now) };
  } else {
    const profile = await requireProfile(ctx.db, workspaceId, subscription.profileId!);
    const live = profile.liveVersionId === null ? undefined : await getVersion(ctx.db, workspaceId, profile.liveVersionId);
    const document = (live?.document ?? profile.draft) as ProfileDocument;
    payload = { id, ...samplePayload(subscription, { id: profile.id, name: profile.name, document }, now) };
  }
  const settings = attemptSettings({ timeoutMs: ctx.config.webhookTimeoutMs, allowPrivateTargets: ctx.config.allowPrivateWebhookTargets });
  const delivery = await insertLeasedDelivery(
    ctx.db,
    workspaceId,
    { id, subscriptionId, contactId: SAMPLE_CONTACT.id, type: subscription.event, occurredAt: now.getTime(), payload },
    now,
    settings.timeoutMs * 2 + 5000,
  );
  const { outcome, result } = await attemptDelivery(ctx, settings, delivery, undefined, { retry: false });
  return {
    delivered: outcome !== 'aborted' && outcome.kind === 'delivered',
    status: result.status,
    error: result.error,
    ms: result.ms,
    delivery: (await getDelivery(ctx.db, workspaceId, id))!,
  };
}

/** Sends a delivery again (failed, cancelled, or to repeat a delivered one), retried for the full period from now. */
export async function redeliverDelivery(ctx: AppContext, workspaceId: string, id: string): Promise<Delivery> {
  const delivery = await getDelivery(ctx.db, workspaceId, id);
  if (!delivery) throw notFound(`No delivery ${id}.`);
  const subscription = await getSubscription(ctx.db, workspaceId, delivery.subscriptionId);
  if (!subscription || subscription.status !== 'active')
    throw conflict(`The subscription of delivery ${id} is ${subscription?.status ?? 'deleted'}: nothing can be sent to it.`);
  const updated = await redeliver(ctx.db, workspaceId, id, ctx.clock.now());
  if (!updated) throw conflict(`Delivery ${id} is being sent right now; try again when this attempt is over.`);
  return updated;
}
