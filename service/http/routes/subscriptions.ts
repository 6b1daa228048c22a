import { randomBytes } from 'node:crypto';
import { z } from 'zod/v4';
import { refuseTarget } from '../../jobs/webhook-client';
import { transaction } from '../../store/db';
import { listDeliveries, type Delivery } from '../../store/deliveries';
import { insertJob } from '../../store/jobs';
import { endSubscription, getSubscription, insertSubscription, listSubscriptions, type Subscription } from '../../store/subscriptions';
import type { AppDeps } from '../deps';
import { badRequest, notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { cursorQuery, decodeCursor, encodeCursor, isoDateTime, limitQuery, uuidParams } from '../schemas';
import { requireProfile } from './profiles';

const events = ['score.dropped_below', 'score.rose_above', 'score.crossed', 'band.changed'] as const;

const subscriptionSchema = z
  .object({
    id: z.uuid(),
    profileId: z.uuid(),
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
    attempts: z.number().int(),
    nextAttemptAt: isoDateTime.nullable(),
    lastStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    attemptLog: z.array(z.object({ at: isoDateTime, status: z.number().int().nullable(), error: z.string().nullable(), ms: z.number() })).describe('The last ten attempts'),
    createdAt: isoDateTime,
    deliveredAt: isoDateTime.nullable(),
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
    payload: delivery.payload,
  };
}

const createBody = z
  .strictObject({
    profileId: z.uuid(),
    event: z.enum(events),
    threshold: z.number().min(-1e9).max(1e9).optional().describe('Required for the score.* events'),
    tags: z.array(z.string().min(1).max(100)).min(1).max(100).optional().describe('Only contacts with any of these tags (e.g. a VIP threshold)'),
    url: z.string().min(1).max(2000).describe('Where deliveries are POSTed (http or https)'),
    description: z.string().max(500).optional(),
  })
  .superRefine((body, context) => {
    if (body.event === 'band.changed' && body.threshold !== undefined) context.addIssue({ code: 'custom', path: ['threshold'], message: 'band.changed fires on band edges; leave threshold out' });
    if (body.event !== 'band.changed' && body.threshold === undefined) context.addIssue({ code: 'custom', path: ['threshold'], message: `${body.event} needs a threshold` });
  });

const deliveryCursor = z.strictObject({ seq: z.number().int() });

export function subscriptionRoutes(api: RouteRegistry, { db, clock, config }: AppDeps): void {
  api.add({
    method: 'post',
    path: '/v1/subscriptions',
    operationId: 'createSubscription',
    tag: 'Subscriptions',
    summary: 'Subscribe a URL to threshold crossings of a profile',
    description:
      'Fires on every crossing (it re-arms after the opposite one), whatever moved the score — time included. Each delivery is POSTed with `X-Engagement-Event-Id` and `X-Engagement-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>`. The secret is shown in this answer only.',
    role: 'admin',
    body: createBody,
    status: 201,
    response: subscriptionSchema.extend({ secret: z.string().describe('Signs every delivery; shown once') }),
    errors: [404],
    handler: async ({ auth, body }) => {
      const refused = await refuseTarget(body.url, config.allowPrivateWebhookTargets);
      if (refused) throw badRequest(`This URL cannot receive webhooks: ${refused}.`, [{ path: 'url', message: refused }]);
      const now = clock.now();
      const subscription = await transaction(db, async (client) => {
        await requireProfile(client, auth.workspaceId, body.profileId);
        const known = body.threshold === undefined ? true : (await listSubscriptions(client, auth.workspaceId, body.profileId)).some((existing) => existing.status === 'active' && existing.threshold === body.threshold);
        const created = await insertSubscription(
          client,
          auth.workspaceId,
          {
            profileId: body.profileId,
            event: body.event,
            threshold: body.threshold ?? null,
            tags: body.tags ?? null,
            url: body.url,
            description: body.description ?? null,
            secret: `whsec_${randomBytes(32).toString('base64url')}`,
          },
          now,
        );
        // A level nobody watched before: every contact's next due time may come earlier now.
        if (!known) await insertJob(client, auth.workspaceId, 'reschedule', { profileId: body.profileId }, now);
        return created;
      });
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
    query: z.strictObject({ profileId: z.uuid().optional() }),
    response: z.object({ items: z.array(subscriptionSchema) }),
    handler: async ({ auth, query }) => ({ items: (await listSubscriptions(db, auth.workspaceId, query.profileId)).map(subscriptionJson) }),
  });

  api.add({
    method: 'get',
    path: '/v1/subscriptions/:id',
    operationId: 'getSubscription',
    tag: 'Subscriptions',
    summary: 'Get a subscription',
    role: 'admin',
    params: uuidParams,
    response: subscriptionSchema,
    errors: [404],
    handler: async ({ auth, params }) => {
      const subscription = await getSubscription(db, auth.workspaceId, params.id);
      if (!subscription) throw notFound(`No subscription ${params.id}.`);
      return subscriptionJson(subscription);
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/subscriptions/:id',
    operationId: 'deleteSubscription',
    tag: 'Subscriptions',
    summary: 'Delete a subscription; what it had not delivered yet is cancelled',
    role: 'admin',
    params: uuidParams,
    errors: [404],
    handler: async ({ auth, params }) => {
      const subscription = await getSubscription(db, auth.workspaceId, params.id);
      if (!subscription) throw notFound(`No subscription ${params.id}.`);
      await transaction(db, (client) => endSubscription(client, auth.workspaceId, params.id, 'deleted', null, clock.now()));
      return undefined;
    },
  });

  api.add({
    method: 'get',
    path: '/v1/subscriptions/:id/deliveries',
    operationId: 'listDeliveries',
    tag: 'Subscriptions',
    summary: 'The delivery log of a subscription, newest first, with the last attempts and their status codes',
    role: 'admin',
    params: uuidParams,
    query: z.strictObject({ limit: limitQuery(200, 50), cursor: cursorQuery }),
    response: z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() }),
    errors: [404],
    handler: async ({ auth, params, query }) => {
      const after = decodeCursor(query.cursor, deliveryCursor);
      if (!(await getSubscription(db, auth.workspaceId, params.id))) throw notFound(`No subscription ${params.id}.`);
      const rows = await listDeliveries(db, auth.workspaceId, params.id, query.limit + 1, after?.seq);
      const more = rows.length > query.limit;
      const page = more ? rows.slice(0, query.limit) : rows;
      return { items: page.map(deliveryJson), nextCursor: more ? encodeCursor({ seq: page[page.length - 1]!.seq }) : null };
    },
  });
}
