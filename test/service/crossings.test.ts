import { isInternalAddress } from '../../service/jobs/webhook-client';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { claimDeliveries } from '../../service/store/deliveries';
import { DAY, pointsRule, publishProfile } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * Threshold crossings end to end: detection (events and time), the outbox, signed deliveries,
 * retries, 410, restarts and several dispatchers.
 */

/** Verifies X-Engagement-Signature the way a receiver would, written apart from the service's code. */
function verify(secret: string, header: string, rawBody: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=') as [string, string]));
  const expected = createHmac('sha256', secret).update(`${parts.t}.${rawBody}`, 'utf8').digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const bands = [
  { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
  { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
  { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
];

const document = {
  name: 'Engagement',
  kind: 'points',
  rules: [pointsRule('Payment', 'payment', 50), pointsRule('Call', 'call', 10)],
  decay: { halfLifeDays: 10 },
  range: { min: 0, max: 100 },
  bands,
  suggestions: [
    {
      name: 'Gone quiet',
      conditions: { all: [{ fact: 'daysSinceLastInteraction', operator: 'greaterThan', value: 3 }] },
      event: { type: 'suggestion', params: { action: 'schedule_call', message: 'No contact for a while: schedule a call' } },
    },
    {
      name: 'Falling',
      conditions: {
        all: [
          { fact: 'score', operator: 'lessThan', value: 40 },
          { fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' },
        ],
      },
      event: { type: 'suggestion', params: { action: 'personal_message', message: 'Send the VIP a personal message' } },
    },
  ],
};

let service: TestService;
let agent: AuthedAgent;
let profileId: string;
const T0 = Date.parse('2026-07-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  service = await startTestService();
  service.clock.set(iso(T0));
  agent = service.as(await service.key('admin', 'crossings'));
  profileId = await publishProfile(service, document, agent);
});
afterAll(() => service.close());

async function subscribe(url: string, body: Record<string, unknown>) {
  const response = await agent.post('/v1/subscriptions', { profileId, url, ...body });
  expect(response.status).toBe(201);
  await service.runJobs();
  return response.body as { id: string; secret: string };
}

describe('crossings caused by events', () => {
  it('fires on every crossing in both directions, signed, with suggestions', async () => {
    const receiver = await startReceiver();
    try {
      const below = await subscribe(receiver.url, { event: 'score.dropped_below', threshold: 40, tags: ['events'] });
      const above = await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['events'] });
      await agent.put('/v1/contacts/ev', { name: 'Eve', email: 'eve@example.com', tags: ['events'], ownerId: 'rep-1' });
      await agent.post('/v1/interactions', { interactions: [{ id: 'ev-1', contactId: 'ev', type: 'payment' }] });
      await agent.post(`/v1/profiles/${profileId}/scores/ev/adjustments`, { delta: -20, reason: 'test' });
      await agent.post(`/v1/profiles/${profileId}/scores/ev/adjustments`, { delta: 25, reason: 'test' });
      await agent.post(`/v1/profiles/${profileId}/scores/ev/adjustments`, { delta: -30, reason: 'test' });
      await service.dispatcher().drain();
      const events = receiver.received.map((request) => [
        request.body.type,
        request.body.previousScore,
        request.body.score,
        request.body.cause,
      ]);
      // Each subscription is its own ordered stream; the two are dispatched side by side, so only
      // the order within a subscription is promised.
      expect(events.filter(([type]) => type === 'score.rose_above')).toEqual([
        ['score.rose_above', 0, 50, 'interaction'],
        ['score.rose_above', 30, 55, 'adjustment'],
      ]);
      expect(events.filter(([type]) => type === 'score.dropped_below')).toEqual([
        ['score.dropped_below', 50, 30, 'adjustment'],
        ['score.dropped_below', 55, 25, 'adjustment'],
      ]);
      expect(events).toHaveLength(4);
      const first = receiver.received.find((request) => request.body.type === 'score.rose_above')!;
      const firstBelow = receiver.received.find((request) => request.body.type === 'score.dropped_below')!;
      expect(first.body).toMatchObject({
        type: 'score.rose_above',
        occurredAt: iso(T0),
        profile: { id: profileId, name: 'Engagement' },
        contact: { id: 'ev', name: 'Eve', email: 'eve@example.com', tags: ['events'], ownerId: 'rep-1' },
        score: 50,
        previousScore: 0,
        threshold: 40,
        band: { name: 'Warm', color: '#e0a800' },
        previousBand: { name: 'Needs attention', color: '#d64545' },
        suggestions: [],
      });
      expect(first.headers['x-engagement-event-id']).toBe(first.body.id);
      expect(verify(above.secret, String(first.headers['x-engagement-signature']), first.rawBody)).toBe(true);
      expect(verify(below.secret, String(first.headers['x-engagement-signature']), first.rawBody)).toBe(false);
      expect(verify(below.secret, String(firstBelow.headers['x-engagement-signature']), firstBelow.rawBody)).toBe(true);
      expect(verify(above.secret, String(first.headers['x-engagement-signature']), first.rawBody.replace('"score":50', '"score":51'))).toBe(
        false,
      );
      const timestamp = Number(/t=(\d+)/.exec(String(first.headers['x-engagement-signature']))![1]);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);

      // The same deliveries verify with the Standard Webhooks reference library, with the secret as given.
      const standardHeaders = (request: (typeof receiver.received)[0]) => ({
        'webhook-id': String(request.headers['webhook-id']),
        'webhook-timestamp': String(request.headers['webhook-timestamp']),
        'webhook-signature': String(request.headers['webhook-signature']),
      });
      expect(above.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(first.headers['webhook-id']).toBe(first.body.id);
      expect(first.headers['webhook-timestamp']).toBe(String(timestamp));
      expect(new Webhook(above.secret).verify(first.rawBody, standardHeaders(first))).toEqual(first.body);
      expect(new Webhook(below.secret).verify(firstBelow.rawBody, standardHeaders(firstBelow))).toEqual(firstBelow.body);
      expect(() => new Webhook(below.secret).verify(first.rawBody, standardHeaders(first))).toThrow(WebhookVerificationError);
      expect(() => new Webhook(above.secret).verify(first.rawBody.replace('"score":50', '"score":51'), standardHeaders(first))).toThrow(
        WebhookVerificationError,
      );
    } finally {
      await receiver.close();
    }
  });

  it('reports a band change once, even when one jump crosses two edges', async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, { event: 'band.changed', tags: ['bands'] });
      await agent.put('/v1/contacts/bd', { tags: ['bands'] });
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'bd-1', contactId: 'bd', type: 'payment' },
          { id: 'bd-2', contactId: 'bd', type: 'payment' },
        ],
      });
      await service.dispatcher().drain();
      expect(receiver.received.map((request) => [request.body.previousBand, request.body.band])).toEqual([
        [
          { name: 'Needs attention', color: '#d64545' },
          { name: 'Healthy', color: '#2e9d5b' },
        ],
      ]);
      expect(receiver.received[0].body.threshold).toBeNull();
    } finally {
      await receiver.close();
    }
  });

  it('keeps a segment threshold to contacts with its tags, and fires on a state change', async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, { event: 'score.crossed', threshold: 55, tags: ['vip'] });
      await agent.post('/v1/contacts/batch', {
        contacts: [
          { id: 'vip-1', tags: ['vip'] },
          { id: 'plain-1', tags: [] },
        ],
      });
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'seg-1', contactId: 'vip-1', type: 'payment' },
          { id: 'seg-2', contactId: 'plain-1', type: 'payment' },
          { id: 'seg-3', contactId: 'vip-1', type: 'call' },
          { id: 'seg-4', contactId: 'plain-1', type: 'call' },
        ],
      });
      await service.dispatcher().drain();
      expect(receiver.received.map((request) => (request.body.contact as { id: string }).id)).toEqual(['vip-1']);
      expect(receiver.received[0].body).toMatchObject({
        type: 'score.crossed',
        threshold: 55,
        score: 60,
        previousScore: 0,
        direction: 'up',
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('crossings caused by contact changes', () => {
  it('fires when an attribute flips a state rule, and counts a new contact as the range minimum', async () => {
    const receiver = await startReceiver();
    try {
      const stateful = await publishProfile(
        service,
        {
          name: 'Partners',
          kind: 'points',
          rules: [
            pointsRule('Call', 'call', 10),
            {
              name: 'Partner',
              conditions: { all: [{ fact: 'contact', path: '$.attributes.partner', operator: 'equal', value: true }] },
              event: { type: 'points', params: { points: 45 } },
            },
          ],
          range: { min: 0, max: 100 },
        },
        agent,
      );
      for (const event of ['score.rose_above', 'score.dropped_below']) {
        expect((await agent.post('/v1/subscriptions', { profileId: stateful, event, threshold: 40, url: receiver.url })).status).toBe(201);
      }
      await service.runJobs();
      await agent.put('/v1/contacts/st-new', { attributes: { partner: true } });
      await agent.put('/v1/contacts/st-new', { attributes: { partner: false } });
      await agent.post('/v1/contacts/batch', { contacts: [{ id: 'st-new', tags: ['x'], attributes: { partner: true } }] });
      await service.dispatcher().drain();
      expect(
        receiver.received.map((request) => [request.body.type, request.body.previousScore, request.body.score, request.body.cause]),
      ).toEqual([
        ['score.rose_above', 0, 45, 'contact'],
        ['score.dropped_below', 45, 0, 'contact'],
        ['score.rose_above', 0, 45, 'contact'],
      ]);
    } finally {
      await receiver.close();
    }
  });
});

describe('crossings caused by time', () => {
  it('delivers a crossing caused only by decay, with the moment it happened, as the score said it would', async () => {
    const receiver = await startReceiver();
    try {
      await subscribe(receiver.url, { event: 'score.dropped_below', threshold: 40, tags: ['time'] });
      service.clock.set(iso(T0));
      await agent.put('/v1/contacts/tm', { tags: ['time', 'vip'] });
      await agent.post('/v1/interactions', { interactions: [{ id: 'tm-1', contactId: 'tm', type: 'payment', occurredAt: iso(T0) }] });
      const before = (await agent.get(`/v1/profiles/${profileId}/scores/tm`)).body;
      expect(before.next).toMatchObject({ threshold: 40, direction: 'down' });
      const crossing = Date.parse(before.next.at);
      expect(crossing).toBeCloseTo(T0 + 10 * Math.log2(50 / 39.995) * DAY, -3);

      service.clock.set(iso(crossing - 1000));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(0);

      // The scheduler runs a little later (it runs every few seconds): the event keeps its true time.
      service.clock.set(iso(crossing + 4000));
      expect(await service.runScheduler()).toBeGreaterThanOrEqual(1);
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0].body).toMatchObject({
        type: 'score.dropped_below',
        occurredAt: iso(crossing),
        score: 39.99,
        previousScore: 50,
        threshold: 40,
        cause: 'time',
      });
      expect(receiver.received[0].body.suggestions).toEqual([
        { action: 'schedule_call', message: 'No contact for a while: schedule a call' },
        { action: 'personal_message', message: 'Send the VIP a personal message' },
      ]);
      // Nothing is sent twice.
      service.clock.set(iso(crossing + 60_000));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('after downtime, delivers every missed crossing with its true time, in order', async () => {
    const receiver = await startReceiver();
    try {
      const start = T0 + 100 * DAY;
      service.clock.set(iso(start));
      await subscribe(receiver.url, { event: 'band.changed', tags: ['downtime'] });
      await subscribe(receiver.url, { event: 'score.dropped_below', threshold: 20, tags: ['downtime'] });
      await agent.put('/v1/contacts/dt', { tags: ['downtime'] });
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'dt-1', contactId: 'dt', type: 'payment', occurredAt: iso(start) },
          { id: 'dt-2', contactId: 'dt', type: 'payment', occurredAt: iso(start) },
        ],
      });
      await service.dispatcher().drain();
      expect(receiver.received.map((request) => request.body.type)).toEqual(['band.changed']);
      receiver.received.length = 0;

      // Nothing ran for 60 days.
      service.clock.set(iso(start + 60 * DAY));
      await service.runScheduler();
      await service.dispatcher().drain();
      // Each subscription receives the contact's events in order; the two subscriptions are independent streams.
      const events = receiver.received.map((request) => [
        request.body.type,
        request.body.occurredAt,
        (request.body.band as { name: string } | null)?.name ?? null,
      ]);
      const at = (level: number) => iso(Math.ceil(start + 10 * Math.log2(100 / level) * DAY));
      expect(events.filter(([type]) => type === 'band.changed')).toEqual(
        events.filter(([type]) => type === 'band.changed').sort((x, y) => String(x[1]).localeCompare(String(y[1]))),
      );
      expect([...events].sort((x, y) => String(x[1]).localeCompare(String(y[1])))).toEqual([
        ['band.changed', at(69.995), 'Warm'],
        ['band.changed', at(39.995), 'Needs attention'],
        ['score.dropped_below', at(19.995), 'Needs attention'],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('costs a scheduler pass the contacts that are due, not all contacts', async () => {
    const receiver = await startReceiver();
    try {
      const start = T0 + 200 * DAY;
      service.clock.set(iso(start));
      await subscribe(receiver.url, { event: 'score.dropped_below', threshold: 30, tags: ['cost'] });
      await agent.post('/v1/interactions', {
        interactions: Array.from({ length: 300 }, (_, index) => ({
          id: `cost-${index}`,
          contactId: `cost-${index}`,
          type: index < 3 ? 'payment' : 'call',
          occurredAt: iso(start),
        })),
      });
      await service.runScheduler();
      // 50 points fall under 29.995 after ~7.4 days, and meanwhile nothing else is due.
      service.clock.set(iso(start + 8 * DAY));
      expect(await service.runScheduler()).toBe(3);
    } finally {
      await receiver.close();
    }
  });
});

describe('deliveries', () => {
  it('retries a failing receiver with exponential backoff until it succeeds, logging every attempt', async () => {
    const receiver = await startReceiver((_request, index) => (index < 3 ? 503 : 204));
    try {
      service.clock.set(iso(T0 + 300 * DAY));
      const subscription = await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['retry'] });
      await agent.put('/v1/contacts/rt', { tags: ['retry'] });
      await agent.post('/v1/interactions', { interactions: [{ id: 'rt-1', contactId: 'rt', type: 'payment' }] });
      const dispatcher = service.dispatcher({ backoffBaseMs: 10_000 });
      await dispatcher.drain();
      expect(receiver.received).toHaveLength(1);
      await dispatcher.drain();
      expect(receiver.received).toHaveLength(1); // not due yet
      for (const wait of [10_000, 20_000, 40_000]) {
        service.clock.advance(wait);
        await dispatcher.drain();
      }
      expect(receiver.received).toHaveLength(4);
      expect(new Set(receiver.received.map((request) => request.headers['x-engagement-event-id'])).size).toBe(1);
      expect(receiver.received.map((request) => request.headers['x-engagement-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
      const log = await agent.get(`/v1/subscriptions/${subscription.id}/deliveries`);
      expect(log.body.items).toHaveLength(1);
      expect(log.body.items[0]).toMatchObject({ state: 'delivered', attempts: 4, lastStatus: 204, lastError: null, nextAttemptAt: null });
      expect(log.body.items[0].attemptLog.map((attempt: { status: number }) => attempt.status)).toEqual([503, 503, 503, 204]);
    } finally {
      await receiver.close();
    }
  });

  it('keeps retrying for at least 24 hours, then gives up', async () => {
    const receiver = await startReceiver(() => 500);
    try {
      const start = T0 + 310 * DAY;
      service.clock.set(iso(start));
      const subscription = await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['down'] });
      await agent.put('/v1/contacts/dn', { tags: ['down'] });
      await agent.post('/v1/interactions', { interactions: [{ id: 'dn-1', contactId: 'dn', type: 'payment' }] });
      const dispatcher = service.dispatcher({ backoffBaseMs: 10_000, backoffMaxMs: 3_600_000 });
      let lastAttemptAt = start;
      for (let step = 0; step < 200; step++) {
        await dispatcher.drain();
        const [delivery] = (await agent.get(`/v1/subscriptions/${subscription.id}/deliveries`)).body.items;
        if (delivery.state !== 'pending') {
          expect(delivery.state).toBe('failed');
          break;
        }
        lastAttemptAt = Date.parse(delivery.nextAttemptAt);
        service.clock.set(delivery.nextAttemptAt);
      }
      expect(lastAttemptAt - start).toBeGreaterThanOrEqual(24 * 3_600_000);
      expect(receiver.received.length).toBeGreaterThan(20);
    } finally {
      await receiver.close();
    }
  });

  it('disables the subscription when the receiver answers 410 Gone', async () => {
    const receiver = await startReceiver(() => 410);
    try {
      service.clock.set(iso(T0 + 320 * DAY));
      const subscription = await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['gone'] });
      await agent.post('/v1/contacts/batch', {
        contacts: [
          { id: 'gone-1', tags: ['gone'] },
          { id: 'gone-2', tags: ['gone'] },
        ],
      });
      await agent.post('/v1/interactions', { interactions: [{ id: 'gone-a', contactId: 'gone-1', type: 'payment' }] });
      await service.dispatcher().drain();
      const after = await agent.get(`/v1/subscriptions/${subscription.id}`);
      expect(after.body).toMatchObject({ status: 'disabled', statusReason: expect.stringMatching(/410/) });
      await agent.post('/v1/interactions', { interactions: [{ id: 'gone-b', contactId: 'gone-2', type: 'payment' }] });
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(1);
      const log = await agent.get(`/v1/subscriptions/${subscription.id}/deliveries`);
      expect(log.body.items.map((item: { state: string }) => item.state)).toEqual(['cancelled']);
    } finally {
      await receiver.close();
    }
  });

  it('survives a restart: a new dispatcher delivers what was left, and a crash between send and record only repeats an event id', async () => {
    const receiver = await startReceiver();
    try {
      service.clock.set(iso(T0 + 330 * DAY));
      await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['restart'] });
      await agent.post('/v1/contacts/batch', {
        contacts: [
          { id: 'rs-1', tags: ['restart'] },
          { id: 'rs-2', tags: ['restart'] },
        ],
      });
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'rs-a', contactId: 'rs-1', type: 'payment' },
          { id: 'rs-b', contactId: 'rs-2', type: 'payment' },
        ],
      });
      // A dispatcher claims both, then its process dies before it sends or records anything.
      const claimed = await claimDeliveries(service.database.db, service.clock.now(), 30_000, 10);
      expect(claimed).toHaveLength(2);
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(0); // leased to the dead one
      service.clock.advance(31_000);
      await service.dispatcher().drain();
      expect(receiver.received.map((request) => (request.body.contact as { id: string }).id).sort()).toEqual(['rs-1', 'rs-2']);
      expect(receiver.received.map((request) => request.headers['x-engagement-event-id']).sort()).toEqual(
        claimed.map((delivery) => delivery.id).sort(),
      );
    } finally {
      await receiver.close();
    }
  });

  it('lets two dispatchers share one outbox without sending anything twice', async () => {
    const receiver = await startReceiver();
    try {
      service.clock.set(iso(T0 + 340 * DAY));
      await subscribe(receiver.url, { event: 'score.rose_above', threshold: 40, tags: ['pair'] });
      await agent.post('/v1/contacts/batch', {
        contacts: Array.from({ length: 60 }, (_, index) => ({ id: `pair-${index}`, tags: ['pair'] })),
      });
      await agent.post('/v1/interactions', {
        interactions: Array.from({ length: 60 }, (_, index) => ({ id: `pair-i-${index}`, contactId: `pair-${index}`, type: 'payment' })),
      });
      await Promise.all([service.dispatcher({ batchSize: 7 }).drain(), service.dispatcher({ batchSize: 5 }).drain()]);
      const ids = receiver.received.map((request) => request.headers['x-engagement-event-id']);
      expect(ids).toHaveLength(60);
      expect(new Set(ids).size).toBe(60);
    } finally {
      await receiver.close();
    }
  });
});

describe('publish', () => {
  it('notifies crossings a new version causes only when asked to', async () => {
    const receiver = await startReceiver();
    try {
      service.clock.set(iso(T0 + 400 * DAY));
      const own = await publishProfile(service, { ...document, name: 'Republished' }, agent);
      const response = await agent.post('/v1/subscriptions', {
        profileId: own,
        url: receiver.url,
        event: 'score.rose_above',
        threshold: 40,
      });
      expect(response.status).toBe(201);
      await agent.post('/v1/interactions', { interactions: [{ id: 'rp-1', contactId: 'rp', type: 'call' }] });
      await agent.put(`/v1/profiles/${own}`, {
        ...document,
        name: 'Republished',
        rules: [pointsRule('Payment', 'payment', 50), pointsRule('Call', 'call', 45)],
      });
      await agent.post(`/v1/profiles/${own}/publish`, {});
      await service.runJobs();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(0);
      await agent.put(`/v1/profiles/${own}`, {
        ...document,
        name: 'Republished',
        rules: [pointsRule('Payment', 'payment', 50), pointsRule('Call', 'call', 5)],
      });
      await agent.post(`/v1/profiles/${own}/publish`, {});
      await service.runJobs();
      await agent.put(`/v1/profiles/${own}`, {
        ...document,
        name: 'Republished',
        rules: [pointsRule('Payment', 'payment', 50), pointsRule('Call', 'call', 45)],
      });
      await agent.post(`/v1/profiles/${own}/publish`, { notify: true });
      await service.runJobs();
      await service.dispatcher().drain();
      expect(
        receiver.received.map((request) => [(request.body.contact as { id: string }).id, request.body.cause, request.body.score]),
      ).toEqual([['rp', 'publish', 45]]);
    } finally {
      await receiver.close();
    }
  });
});

describe('subscriptions API', () => {
  it('validates, lists, hides the secret after creation, deletes, and stays in its workspace', async () => {
    const url = 'https://example.com/hooks/engagement';
    for (const [body, path] of [
      [{ event: 'score.dropped_below', url }, 'threshold'],
      [{ event: 'band.changed', threshold: 3, url }, 'threshold'],
      [{ event: 'score.sideways', threshold: 3, url }, 'event'],
      [{ event: 'score.crossed', threshold: 3, url: 'ftp://example.com/x' }, 'url'],
      [{ event: 'score.crossed', threshold: 3, url: 'not a url' }, 'url'],
      [{ event: 'score.crossed', threshold: 3, url, tags: [] }, 'tags'],
    ] as const) {
      const response = await agent.post('/v1/subscriptions', { profileId, ...body });
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
    expect(
      (await agent.post('/v1/subscriptions', { profileId: '00000000-0000-4000-8000-000000000000', event: 'band.changed', url })).status,
    ).toBe(404);
    const created = await agent.post('/v1/subscriptions', { profileId, event: 'band.changed', url, description: 'Slack' });
    expect(created.body.secret).toMatch(/^whsec_/);
    const fetched = await agent.get(`/v1/subscriptions/${created.body.id}`);
    expect(fetched.body).toMatchObject({
      id: created.body.id,
      event: 'band.changed',
      url,
      description: 'Slack',
      status: 'active',
      threshold: null,
      tags: null,
    });
    expect(fetched.body).not.toHaveProperty('secret');
    expect((await agent.get(`/v1/subscriptions?profileId=${profileId}`)).body.items.map((item: { id: string }) => item.id)).toContain(
      created.body.id,
    );
    const stranger = service.as(await service.key('admin', 'not-crossings'));
    expect((await stranger.get(`/v1/subscriptions/${created.body.id}`)).status).toBe(404);
    expect((await stranger.delete(`/v1/subscriptions/${created.body.id}`)).status).toBe(404);
    const writer = service.as(await service.key('writer', 'crossings'));
    expect((await writer.get('/v1/subscriptions')).status).toBe(403);
    expect((await agent.delete(`/v1/subscriptions/${created.body.id}`)).status).toBe(204);
    expect((await agent.get(`/v1/subscriptions/${created.body.id}`)).status).toBe(404);
  });

  it('refuses loopback and private targets unless ALLOW_PRIVATE_WEBHOOK_TARGETS is set', async () => {
    const strict = await startTestService({ config: { allowPrivateWebhookTargets: false } });
    try {
      const created = await strict.admin.post('/v1/profiles', document);
      const refused = [
        'http://127.0.0.1:5678/webhook/x',
        'http://localhost/x',
        'http://10.1.2.3/x',
        'http://[::1]/x',
        'http://169.254.169.254/latest',
        'http://0x7f.1/x',
        'http://100.64.0.1/x',
        // IPv6 forms that carry an internal IPv4 address: IPv4-compatible, NAT64, IPv4-mapped, SIIT, 6to4, Teredo.
        'http://[::127.0.0.1]/x',
        'http://[64:ff9b::a9fe:a9fe]/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://[::ffff:0:a00:1]/x',
        'http://[2002:a9fe:a9fe::]/x',
        'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x',
        'http://[fd00::1]/x',
        'http://[fe80::1]/x',
      ];
      for (const url of refused) {
        const response = await strict.admin.post('/v1/subscriptions', { profileId: created.body.id, event: 'band.changed', url });
        expect(response.status).toBe(400);
        expect(response.body.errors[0]).toMatchObject({
          path: 'url',
          message: expect.stringMatching(/ALLOW_PRIVATE_WEBHOOK_TARGETS|resolve/),
        });
      }
      // A public address (not contacted here: the check is on the address alone).
      expect(isInternalAddress('8.8.8.8')).toBe(false);
      expect(isInternalAddress('2001:4860:4860::8888')).toBe(false);
      expect(isInternalAddress('::ffff:8.8.8.8')).toBe(false);
    } finally {
      await strict.close();
    }
  });
});

describe('test events and redelivery', () => {
  it('sends a signed sample of the subscription’s event type with test: true, logs it, and does not retry it', async () => {
    const receiver = await startReceiver((_request, index) => (index === 0 ? 200 : 503));
    try {
      const subscription = await subscribe(receiver.url, { event: 'score.dropped_below', threshold: 40, tags: ['vip'] });
      const sent = await agent.post(`/v1/subscriptions/${subscription.id}/test`).expect(200);
      expect(sent.body).toMatchObject({
        delivered: true,
        status: 200,
        error: null,
        delivery: { state: 'delivered', attempts: 1, type: 'score.dropped_below' },
      });
      const [request] = receiver.received;
      expect(verify(subscription.secret, request.headers['x-engagement-signature'] as string, request.rawBody)).toBe(true);
      expect(request.headers['x-engagement-event-id']).toBe(sent.body.delivery.id);
      expect(request.body).toMatchObject({
        test: true,
        type: 'score.dropped_below',
        threshold: 40,
        direction: 'down',
        profile: { id: profileId, name: 'Engagement' },
        contact: { id: 'sample-contact', name: 'Ada Lovelace', tags: ['vip'] },
        band: { name: 'Needs attention' },
        previousBand: { name: 'Warm' },
      });
      expect(request.body.score as number).toBeLessThan(40);
      expect(request.body.previousScore as number).toBeGreaterThanOrEqual(40);

      const failing = await agent.post(`/v1/subscriptions/${subscription.id}/test`).expect(200);
      expect(failing.body).toMatchObject({
        delivered: false,
        status: 503,
        delivery: { state: 'failed', attempts: 1, nextAttemptAt: null },
      });
      const log = await agent.get(`/v1/subscriptions/${subscription.id}/deliveries`).expect(200);
      expect(log.body.items.map((item: { state: string }) => item.state)).toEqual(['failed', 'delivered']);
      expect((await agent.post('/v1/subscriptions/00000000-0000-4000-8000-000000000000/test')).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });

  it('redelivers a failed delivery: pending again, due now, retried for the full period from now', async () => {
    const receiver = await startReceiver((_request, index) => (index === 0 ? 500 : 200));
    try {
      const subscription = await subscribe(receiver.url, { event: 'score.rose_above', threshold: 5, tags: ['redeliver'] });
      const failed = await agent.post(`/v1/subscriptions/${subscription.id}/test`).expect(200);
      expect(failed.body.delivery.state).toBe('failed');
      service.clock.advance(2 * DAY);
      const again = await agent.post(`/v1/deliveries/${failed.body.delivery.id}/redeliver`).expect(202);
      expect(again.body).toMatchObject({ id: failed.body.delivery.id, state: 'pending', nextAttemptAt: service.clock.now().toISOString() });
      await service.dispatcher().drain();
      const log = await agent.get(`/v1/subscriptions/${subscription.id}/deliveries`).expect(200);
      expect(log.body.items[0]).toMatchObject({ id: failed.body.delivery.id, state: 'delivered', attempts: 2 });
      expect(receiver.received.map((request) => request.headers['x-engagement-event-id'])).toEqual([
        failed.body.delivery.id,
        failed.body.delivery.id,
      ]);

      expect((await agent.post('/v1/deliveries/00000000-0000-4000-8000-000000000000/redeliver')).status).toBe(404);
      const stranger = service.as(await service.key('admin', 'not-crossings'));
      expect((await stranger.post(`/v1/deliveries/${failed.body.delivery.id}/redeliver`)).status).toBe(404);
      await agent.delete(`/v1/subscriptions/${subscription.id}`).expect(204);
      expect((await agent.post(`/v1/deliveries/${failed.body.delivery.id}/redeliver`)).status).toBe(409);
    } finally {
      await receiver.close();
    }
  });
});
