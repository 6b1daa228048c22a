import { z } from 'zod/v4';
import { createSubscription, deleteSubscription, redeliverDelivery, requireSubscription, sendTestEvent } from '../../app/subscriptions';
import { listDeliveries, type Delivery } from '../../store/deliveries';
import { listSubscriptions, type Subscription } from '../../store/subscriptions';
import type { AppDeps } from '../deps';
import { Reply, type RouteRegistry } from '../route';
import { countSchema, cursorQuery, decodeCursor, httpStatusSchema, isoDateTime, keysetPage, limitQuery, uuidParams } from '../schemas';

const events = ['score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed', 'segment.entered', 'segment.left'] as const;
const segmentEvents: readonly string[] = ['segment.entered', 'segment.left'];

const subscriptionSchema = z
  .object({
    id: z.uuid(),
    profileId: z.uuid().nullable().describe('The profile whose crossings it hears (null for a segment subscription)'),
    segmentId: z.uuid().nullable().describe('The segment whose entries and exits it hears (null for a profile subscription)'),
    event: z.enum(events),
    threshold: z.number().nullable(),
    tags: z.array(z.string()).nullable().describe('Any of these tags; null = every contact'),
    url: z.string(),
    description: z.string().nullable(),
    status: z.enum(['active', 'disabled']).describe('disabled: the receiver answered 410 Gone'),
    statusReason: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Subscription' });

const deliverySchema = z
  .object({
    id: z.uuid().describe('The event id (X-Engagement-Event-Id)'),
    type: z.string(),
    occurredAt: isoDateTime,
    contactId: z.string(),
    state: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
    attempts: countSchema,
    nextAttemptAt: isoDateTime.nullable(),
    lastStatus: httpStatusSchema.nullable().describe('The receiver’s HTTP status at the last attempt'),
    lastError: z.string().nullable(),
    attemptLog: z
      .array(z.object({ at: isoDateTime, status: httpStatusSchema.nullable(), error: z.string().nullable(), ms: z.number().min(0) }))
      .describe('The last ten attempts'),
    createdAt: isoDateTime,
    deliveredAt: isoDateTime.nullable(),
    subscriptionId: z.uuid(),
    payload: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Delivery' });

function subscriptionJson(subscription: Subscription) {
  const { secret: _secret, ...rest } = subscription;
  return rest;
}

function deliveryJson(delivery: Delivery) {
  return {
    id: delivery.id,
    type: delivery.type,
    occurredAt: delivery.occurredAt,
    contactId: delivery.contactId,
    state: delivery.state,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.state === 'pending' ? delivery.nextAttemptAt : null,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    attemptLog: delivery.attemptLog,
    createdAt: delivery.createdAt,
    deliveredAt: delivery.deliveredAt,
    subscriptionId: delivery.subscriptionId,
    payload: delivery.payload,
  };
}

const createBody = z
  .strictObject({
    profileId: z.uuid().optional().describe('For score.* and band.changed: the profile whose crossings to hear'),
    segmentId: z.uuid().optional().describe('For segment.entered and segment.left: the segment whose entries and exits to hear'),
    event: z.enum(events),
    threshold: z.number().min(-1e9).max(1e9).optional().describe('Required for the score.* events'),
    tags: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(100)
      .optional()
      .describe('Only contacts with any of these tags (e.g. a VIP threshold)'),
    url: z.string().min(1).max(2000).describe('Where deliveries are POSTed (http or https)'),
    description: z.string().max(500).optional(),
  })
  .superRefine((body, context) => {
    if (segmentEvents.includes(body.event)) {
      if (body.segmentId === undefined)
        context.addIssue({ code: 'custom', path: ['segmentId'], message: `${body.event} needs a segmentId` });
      for (const field of ['profileId', 'threshold', 'tags'] as const)
        if (body[field] !== undefined)
          context.addIssue({ code: 'custom', path: [field], message: `${body.event} is about a segment; leave ${field} out` });
      return;
    }
    if (body.segmentId !== undefined)
      context.addIssue({ code: 'custom', path: ['segmentId'], message: `${body.event} is about a profile's score; use profileId` });
    if (body.profileId === undefined) context.addIssue({ code: 'custom', path: ['profileId'], message: `${body.event} needs a profileId` });
    if (body.event === 'band.changed' && body.threshold !== undefined)
      context.addIssue({ code: 'custom', path: ['threshold'], message: 'band.changed fires on band edges; leave threshold out' });
    if (body.event !== 'band.changed' && body.threshold === undefined)
      context.addIssue({ code: 'custom', path: ['threshold'], message: `${body.event} needs a threshold` });
  });

const deliveryCursor = z.strictObject({ seq: z.number().int() });

export function subscriptionRoutes(api: RouteRegistry, ctx: AppDeps): void {
  const { db } = ctx;
  api.add({
    method: 'post',
    path: '/v1/subscriptions',
    operationId: 'createSubscription',
    tag: 'Subscriptions',
    summary: "Subscribe a URL to threshold crossings of a profile, or to a segment's entries and exits",
    description:
      'With `profileId`: fires on every crossing (it re-arms after the opposite one), whatever moved the score — time included. Each delivery is POSTed with `X-Engagement-Event-Id` and `X-Engagement-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`, and with the Standard Webhooks headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>" keyed with the bytes of the whsec_ secret>` (verify with any Standard Webhooks library). The secret is shown in this answer only. With `segmentId` and `segment.entered` / `segment.left`: fires whenever a contact enters or leaves the segment, whatever moved it (an interaction, an adjustment, a contact change, a publish, or time alone: decay out of its score range, a last-interaction window passing), with the moment it happened; the members at the time of the first subscription are taken as they are.',
    role: 'admin',
    automation: true,
    body: createBody,
    status: 201,
    response: subscriptionSchema.extend({ secret: z.string().describe('Signs every delivery; shown once') }),
    errors: [404],
    handler: async ({ auth, body }) => {
      const subscription = await createSubscription(ctx, auth.workspaceId, body);
      return new Reply(201, { ...subscriptionJson(subscription), secret: subscription.secret });
    },
  });

  api.add({
    method: 'get',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    tag: 'Subscriptions',
    summary: 'List subscriptions',
    role: 'admin',
    automation: true,
    query: z.strictObject({
      profileId: z.uuid().optional().describe('Only this profile’s'),
      segmentId: z.uuid().optional().describe('Only this segment’s'),
    }),
    response: z.object({ items: z.array(subscriptionSchema) }),
    handler: async ({ auth, query }) => ({
      items: (await listSubscriptions(db, auth.workspaceId, query.profileId))
        .filter((subscription) => query.segmentId === undefined || subscription.segmentId === query.segmentId)
        .map(subscriptionJson),
    }),
  });

  api.add({
    method: 'get',
    path: '/v1/subscriptions/:id',
    operationId: 'getSubscription',
    tag: 'Subscriptions',
    summary: 'Get a subscription',
    role: 'admin',
    automation: true,
    params: uuidParams,
    response: subscriptionSchema,
    errors: [404],
    handler: async ({ auth, params }) => subscriptionJson(await requireSubscription(ctx, auth.workspaceId, params.id)),
  });

  api.add({
    method: 'delete',
    path: '/v1/subscriptions/:id',
    operationId: 'deleteSubscription',
    tag: 'Subscriptions',
    summary: 'Delete a subscription; what it had not delivered yet is cancelled',
    role: 'admin',
    automation: true,
    params: uuidParams,
    errors: [404],
    handler: async ({ auth, params }) => deleteSubscription(ctx, auth.workspaceId, params.id),
  });

  api.add({
    method: 'post',
    path: '/v1/subscriptions/:id/test',
    operationId: 'testSubscription',
    tag: 'Subscriptions',
    summary: 'Send a signed sample delivery of the subscription’s event type now (test: true), and say what the receiver answered',
    description:
      'The sample has every field of a real delivery, with a made-up contact. It is signed like any delivery, appears in the delivery log, and is not retried.',
    role: 'admin',
    automation: true,
    params: uuidParams,
    response: z.object({
      delivered: z.boolean().describe('The receiver answered 2xx in time'),
      status: httpStatusSchema.nullable().describe('The receiver’s HTTP status'),
      error: z.string().nullable(),
      ms: z.number().min(0),
      delivery: deliverySchema,
    }),
    errors: [404, 409],
    handler: async ({ auth, params }) => {
      const sent = await sendTestEvent(ctx, auth.workspaceId, params.id);
      return { ...sent, delivery: deliveryJson(sent.delivery) };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/subscriptions/:id/deliveries',
    operationId: 'listDeliveries',
    tag: 'Subscriptions',
    summary: 'The delivery log of a subscription, newest first, with the last attempts and their status codes',
    role: 'admin',
    automation: true,
    params: uuidParams,
    query: z.strictObject({ limit: limitQuery(200, 50), cursor: cursorQuery }),
    response: z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() }),
    errors: [404],
    handler: async ({ auth, params, query }) => {
      const after = decodeCursor(query.cursor, deliveryCursor);
      await requireSubscription(ctx, auth.workspaceId, params.id);
      const { page, nextCursor } = keysetPage(
        await listDeliveries(db, auth.workspaceId, params.id, query.limit + 1, after?.seq),
        query.limit,
        (last) => ({ seq: last.seq }),
      );
      return { items: page.map(deliveryJson), nextCursor };
    },
  });

  api.add({
    method: 'post',
    path: '/v1/deliveries/:id/redeliver',
    operationId: 'redeliverDelivery',
    tag: 'Subscriptions',
    summary: 'Send a delivery again (a failed or cancelled one, or repeat a delivered one), retried for the full period from now',
    role: 'admin',
    automation: true,
    params: uuidParams,
    status: 202,
    response: deliverySchema,
    errors: [404, 409],
    handler: async ({ auth, params }) => new Reply(202, deliveryJson(await redeliverDelivery(ctx, auth.workspaceId, params.id))),
  });
}
