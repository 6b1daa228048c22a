import { DAY, pointsRule, publishProfile, republish } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * Saved segments (issue 16): CRUD, members exactly as GET /v1/contacts filters them, and
 * segment.entered / segment.left for whatever moves a contact — an interaction, time alone (decay
 * out of the range, a last-interaction window passing), an adjustment, a contact change, a publish.
 */

const bands = [
  { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
  { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
  { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
];
const profile = (payment: number) => ({
  name: 'Segment engagement',
  kind: 'points',
  rules: [pointsRule('Payment', 'payment', payment), pointsRule('Call', 'call', 10)],
  decay: { halfLifeDays: 10 },
  range: { min: 0, max: 100 },
  bands,
});

let service: TestService;
let agent: AuthedAgent;
let profileId: string;
const T0 = Date.parse('2026-08-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  service = await startTestService();
  service.clock.set(iso(T0));
  agent = service.admin;
  profileId = await publishProfile(service, profile(50));
});
afterAll(() => service.close());

async function segment(name: string, filter: Record<string, unknown>) {
  const response = await agent.post('/v1/segments', { name, filter });
  expect(response.status).toBe(201);
  return response.body as { id: string; size: number };
}

async function subscribe(url: string, segmentId: string, event: 'segment.entered' | 'segment.left', as = agent) {
  const response = await as.post('/v1/subscriptions', { segmentId, event, url });
  expect(response.status).toBe(201);
  await service.runJobs();
  return response.body as { id: string; secret: string };
}

/** In the order they happened: entries and exits are two subscriptions, two streams dispatched side by side. */
const events = (received: { body: Record<string, unknown> }[]) =>
  received
    .map(
      (request) =>
        [request.body.type, (request.body.contact as { id: string }).id, request.body.occurredAt, request.body.cause] as string[],
    )
    .sort((x, y) => x[2].localeCompare(y[2]) || x[1].localeCompare(y[1]));

describe('segments', () => {
  it('are created, listed with their size, read, replaced and deleted; bad filters are 400s naming the field', async () => {
    await agent.put('/v1/contacts/crud-1', { tags: ['crud', 'vip'] });
    await agent.put('/v1/contacts/crud-2', { tags: ['crud'] });
    const created = await agent.post('/v1/segments', {
      name: 'CRUD VIPs',
      description: 'for the test',
      filter: { allTags: ['crud', 'vip'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'CRUD VIPs',
      description: 'for the test',
      filter: { allTags: ['crud', 'vip'] },
      size: 1,
      watched: false,
    });
    expect((await agent.post('/v1/segments', { name: 'crud vips', filter: {} })).status).toBe(409);
    const listed = await service.as(await service.key('reader')).get('/v1/segments');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(expect.objectContaining({ id: created.body.id, size: 1 }));
    const replaced = await agent.put(`/v1/segments/${created.body.id}`, { name: 'CRUD all', filter: { tags: ['crud'] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ name: 'CRUD all', description: null, size: 2 });
    expect((await agent.get(`/v1/segments/${created.body.id}`)).body.size).toBe(2);

    const bad = [
      [{ name: 'x', filter: { minScore: 40 } }, 'filter.minScore'],
      [{ name: 'x', filter: { profileId, band: 'Lukewarm' } }, 'filter.band'],
      [{ name: 'x', filter: { lastInteractionBefore: 'a month' } }, 'filter.lastInteractionBefore'],
      [{ name: 'x', filter: { profileId: '00000000-0000-4000-8000-000000000000' } }, 'filter.profileId'],
      [{ name: '', filter: {} }, 'name'],
    ] as const;
    for (const [body, path] of bad) {
      const response = await agent.post('/v1/segments', body);
      expect(response.status).toBe(400);
      expect(response.body.errors).toContainEqual(expect.objectContaining({ path }));
    }
    const reader = service.as(await service.key('reader'));
    expect((await reader.post('/v1/segments', { name: 'nope', filter: {} })).status).toBe(403);
    expect((await service.as(await service.key('writer')).post('/v1/segments', { name: 'by a writer', filter: {} })).status).toBe(201);

    expect((await agent.delete(`/v1/segments/${created.body.id}`)).status).toBe(204);
    expect((await agent.get(`/v1/segments/${created.body.id}`)).status).toBe(404);
  });

  it('lists exactly the members GET /v1/contacts finds with the same filter, in the same order and pages', async () => {
    service.clock.set(iso(T0));
    for (let index = 0; index < 12; index++) {
      await agent.put(`/v1/contacts/mem-${index}`, {
        tags: index % 2 ? ['members', 'vip'] : ['members'],
        ownerId: index % 3 ? 'rep-1' : 'rep-2',
      });
      await agent.post('/v1/interactions', {
        interactions: Array.from({ length: index % 4 }, (_, n) => ({
          id: `mem-${index}-${n}`,
          contactId: `mem-${index}`,
          type: n === 0 ? 'payment' : 'call',
          occurredAt: iso(T0 - index * DAY),
        })),
      });
    }
    const filter = { profileId, minScore: 30, tags: ['members'], ownerId: 'rep-1', lastInteractionAfter: '8d' };
    const saved = await segment('Members', filter);
    const query = `profileId=${profileId}&minScore=30&tag=members&ownerId=rep-1&lastInteractionAfter=8d`;
    const expected = await agent.get(`/v1/contacts?${query}&limit=2`);
    expect(expected.status).toBe(200);
    const first = await agent.get(`/v1/segments/${saved.id}/contacts?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual(expected.body.items);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await agent.get(`/v1/segments/${saved.id}/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.items.map((item: { id: string }) => item.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const everything = await agent.get(`/v1/contacts?${query}&limit=100`);
    expect(all).toEqual(everything.body.items.map((item: { id: string }) => item.id));
    expect(all.length).toBeGreaterThan(0);
    expect(saved.size).toBe(all.length);

    const byTime = await agent.get(`/v1/segments/${saved.id}/contacts?sort=-lastInteractionAt&limit=100`);
    expect(byTime.body.items.map((item: { id: string }) => item.id)).toEqual(
      (await agent.get(`/v1/contacts?${query}&sort=-lastInteractionAt&limit=100`)).body.items.map((item: { id: string }) => item.id),
    );
    const allTags = await segment('Members and VIP', { allTags: ['members', 'vip'] });
    expect(allTags.size).toBe(6);
  });

  it('tells who entered and who left, whatever moved them, with the moment it happened', async () => {
    const receiver = await startReceiver();
    try {
      service.clock.set(iso(T0 + 200 * DAY));
      const start = service.clock.now().getTime();
      const warm = await segment('Warm watch', { profileId, minScore: 40, tags: ['watch'] });
      await subscribe(receiver.url, warm.id, 'segment.entered');
      await subscribe(receiver.url, warm.id, 'segment.left');
      expect((await agent.get(`/v1/segments/${warm.id}`)).body.watched).toBe(true);

      await agent.put('/v1/contacts/w1', { name: 'Wanda', tags: ['watch'] });
      await agent.put('/v1/contacts/w2', { tags: ['other'] });
      // An interaction: 50 points, in the segment.
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'w1-1', contactId: 'w1', type: 'payment' },
          { id: 'w2-1', contactId: 'w2', type: 'payment' },
        ],
      });
      const score = (await agent.get(`/v1/profiles/${profileId}/scores/w1`)).body;
      expect(score.next).toMatchObject({ threshold: 40, direction: 'down' });
      const leaves = Date.parse(score.next.at);
      // Time alone: decay carries it under 40; the scheduler runs a little later, the event keeps its moment.
      service.clock.set(iso(leaves + 5000));
      await service.runScheduler();
      // An adjustment lifts it back; a contact change (the tag removed) takes it out.
      service.clock.set(iso(leaves + 60_000));
      await agent.post(`/v1/profiles/${profileId}/scores/w1/adjustments`, { delta: 30, reason: 'met at the fair' });
      service.clock.set(iso(leaves + 120_000));
      await agent.put('/v1/contacts/w1', { tags: [] });
      await service.dispatcher().drain();
      expect(events(receiver.received)).toEqual([
        ['segment.entered', 'w1', iso(start), 'interaction'],
        ['segment.left', 'w1', iso(leaves), 'time'],
        ['segment.entered', 'w1', iso(leaves + 60_000), 'adjustment'],
        ['segment.left', 'w1', iso(leaves + 120_000), 'contact'],
      ]);
      const firstEntry = receiver.received.find((request) => request.body.occurredAt === iso(start))!;
      expect(firstEntry.body).toMatchObject({
        segment: { id: warm.id, name: 'Warm watch' },
        contact: { id: 'w1', name: 'Wanda', tags: ['watch'] },
        profile: { id: profileId, name: 'Segment engagement' },
        score: 50,
        band: { name: 'Warm', color: '#e0a800' },
      });
      expect(receiver.received.find((request) => request.body.cause === 'time')!.body.score).toBe(39.99);
      expect(String(firstEntry.headers['webhook-signature'])).toMatch(/^v1,/);
      // Nothing twice: another scheduler pass, another read.
      service.clock.set(iso(leaves + 180_000));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(4);
    } finally {
      await receiver.close();
    }
  });

  it('tells when a last-interaction window passes with time alone, within the scheduler pass', async () => {
    const receiver = await startReceiver();
    try {
      const start = T0 + 400 * DAY;
      service.clock.set(iso(start));
      await agent.put('/v1/contacts/q1', { tags: ['quiet'] });
      await agent.put('/v1/contacts/q2', { tags: ['quiet'] });
      await agent.post('/v1/interactions', {
        interactions: [
          { id: 'q1-1', contactId: 'q1', type: 'call', occurredAt: iso(start - 2 * DAY) },
          { id: 'q2-1', contactId: 'q2', type: 'call', occurredAt: iso(start - DAY) },
        ],
      });
      const silent = await segment('Silent for 30 days', { tags: ['quiet'], lastInteractionBefore: '30d' });
      expect(silent.size).toBe(0);
      await subscribe(receiver.url, silent.id, 'segment.entered');
      service.clock.set(iso(start + 27 * DAY));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(0);
      service.clock.set(iso(start + 29 * DAY + 60_000));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(events(receiver.received)).toEqual([
        ['segment.entered', 'q1', iso(start + 28 * DAY + 1), 'window'],
        ['segment.entered', 'q2', iso(start + 29 * DAY + 1), 'window'],
      ]);
      expect((await agent.get(`/v1/segments/${silent.id}`)).body.size).toBe(2);
      // A new interaction takes q1 out (it is no longer silent) without an event here (only entries are heard).
      await agent.post('/v1/interactions', { interactions: [{ id: 'q1-2', contactId: 'q1', type: 'call' }] });
      expect((await agent.get(`/v1/segments/${silent.id}/contacts`)).body.items.map((item: { id: string }) => item.id)).toEqual(['q2']);
    } finally {
      await receiver.close();
    }
  });

  it('moves members on a publish: told with notify, silently without', async () => {
    const receiver = await startReceiver();
    try {
      service.clock.set(iso(T0 + 600 * DAY));
      const start = service.clock.now().getTime();
      const id = await publishProfile(service, { ...profile(30), name: 'Publish segments' });
      const hot = await segment('Hot after publish', { profileId: id, minScore: 40, tags: ['pub'] });
      await subscribe(receiver.url, hot.id, 'segment.entered');
      await subscribe(receiver.url, hot.id, 'segment.left');
      await agent.put('/v1/contacts/p1', { tags: ['pub'] });
      await agent.post('/v1/interactions', { interactions: [{ id: 'p1-1', contactId: 'p1', type: 'payment' }] });
      expect((await agent.get(`/v1/segments/${hot.id}`)).body.size).toBe(0);

      await agent.put(`/v1/profiles/${id}`, { ...profile(60), name: 'Publish segments' });
      const published = await agent.post(`/v1/profiles/${id}/publish`, { notify: true });
      expect(published.status).toBe(202);
      await service.runJobs();
      await service.dispatcher().drain();
      expect(events(receiver.received)).toEqual([['segment.entered', 'p1', iso(start), 'publish']]);

      await agent.put(`/v1/profiles/${id}`, { ...profile(20), name: 'Publish segments' });
      await republish(service, id);
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(1);
      expect((await agent.get(`/v1/segments/${hot.id}`)).body.size).toBe(0);
      // The members were taken anew: the next change is judged against them (p1 is out: 20 + 10 < 40, no event).
      await agent.post('/v1/interactions', { interactions: [{ id: 'p1-2', contactId: 'p1', type: 'call' }] });
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('sends a test event, lets automation keys subscribe, and ends subscriptions with their segment', async () => {
    const receiver = await startReceiver();
    try {
      const saved = await segment('Test events', { tags: ['vip'] });
      const automation = service.as((await agent.post('/v1/keys', { role: 'automation' })).body.key);
      const subscription = await subscribe(receiver.url, saved.id, 'segment.entered', automation);
      const tested = await automation.post(`/v1/subscriptions/${subscription.id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body.delivered).toBe(true);
      expect(receiver.received[0].body).toMatchObject({
        test: true,
        type: 'segment.entered',
        segment: { id: saved.id, name: 'Test events' },
        contact: { id: 'sample-contact', tags: ['vip'] },
        cause: 'test',
      });
      const wrong = await agent.post('/v1/subscriptions', { segmentId: saved.id, event: 'segment.left', url: receiver.url, threshold: 3 });
      expect(wrong.status).toBe(400);
      expect(wrong.body.errors).toContainEqual(expect.objectContaining({ path: 'threshold' }));
      const missing = await agent.post('/v1/subscriptions', { event: 'segment.left', url: receiver.url });
      expect(missing.body.errors).toContainEqual(expect.objectContaining({ path: 'segmentId' }));
      expect(
        (
          await agent.post('/v1/subscriptions', {
            segmentId: '00000000-0000-4000-8000-000000000000',
            event: 'segment.left',
            url: receiver.url,
          })
        ).status,
      ).toBe(404);

      expect((await agent.delete(`/v1/segments/${saved.id}`)).status).toBe(204);
      expect((await agent.get(`/v1/subscriptions/${subscription.id}`)).status).toBe(404);
    } finally {
      await receiver.close();
    }
  });
});
