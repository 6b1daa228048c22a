import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  service.clock.set('2026-06-01T12:00:00Z');
});
afterAll(() => service.close());

const count = async (sql: string, values: unknown[] = []) => (await service.database.db.query(sql, values)).rows[0].n as number;

describe('POST /v1/interactions', () => {
  it('stores a batch, creates unknown contacts and keeps the last interaction', async () => {
    const response = await service.admin.post('/v1/interactions', {
      interactions: [
        { id: 'i-1', contactId: 'new-contact', type: 'email_open', occurredAt: '2026-05-30T10:00:00Z', channel: 'email' },
        {
          id: 'i-2',
          contactId: 'new-contact',
          type: 'meeting',
          occurredAt: '2026-05-31T10:00:00+02:00',
          actorId: 'rep-1',
          direction: 'outbound',
          properties: { minutes: 30 },
        },
        { id: 'i-3', contactId: 'new-contact', type: 'call', occurredAt: '2026-05-29T10:00:00Z' },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ accepted: 3, duplicates: 0, token: expect.stringMatching(/^es1\.[0-9a-z]+$/) });
    const contact = await service.admin.get('/v1/contacts/new-contact');
    expect(contact.status).toBe(200);
    expect(contact.body).toMatchObject({ lastInteractionAt: '2026-05-31T08:00:00.000Z', lastInteractionType: 'meeting' });

    const timeline = await service.admin.get('/v1/contacts/new-contact/interactions');
    expect(timeline.body.items.map((item: { id: string }) => item.id)).toEqual(['i-2', 'i-1', 'i-3']);
    expect(timeline.body.items[0]).toMatchObject({
      type: 'meeting',
      actorId: 'rep-1',
      direction: 'outbound',
      properties: { minutes: 30 },
      occurredAt: '2026-05-31T08:00:00.000Z',
    });
  });

  it('defaults occurredAt to now and makes up an id when none is given', async () => {
    await service.admin.post('/v1/interactions', { interactions: [{ contactId: 'no-id', type: 'call' }] });
    const timeline = await service.admin.get('/v1/contacts/no-id/interactions');
    expect(timeline.body.items[0].occurredAt).toBe('2026-06-01T12:00:00.000Z');
    expect(timeline.body.items[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('counts a repeated id as a duplicate that changes nothing, even with different content', async () => {
    const again = await service.admin.post('/v1/interactions', {
      interactions: [
        { id: 'i-1', contactId: 'new-contact', type: 'payment', occurredAt: '2026-06-01T11:00:00Z' },
        { id: 'i-4', contactId: 'new-contact', type: 'call', occurredAt: '2026-05-01T00:00:00Z' },
        { id: 'i-4', contactId: 'new-contact', type: 'call', occurredAt: '2026-05-01T00:00:00Z' },
      ],
    });
    expect(again.body).toEqual({ accepted: 1, duplicates: 2, token: expect.any(String) });
    const contact = await service.admin.get('/v1/contacts/new-contact');
    expect(contact.body.lastInteractionType).toBe('meeting');
    expect(await count("SELECT count(*)::int AS n FROM interactions WHERE id = 'i-1' AND type = 'email_open'")).toBe(1);
  });

  it('stays idempotent when identical batches race', async () => {
    const batch = {
      interactions: Array.from({ length: 500 }, (_, index) => ({
        id: `race-${index}`,
        contactId: `racer-${index % 50}`,
        type: 'email_open',
        occurredAt: '2026-05-20T00:00:00Z',
      })),
    };
    const answers = await Promise.all(Array.from({ length: 4 }, () => service.admin.post('/v1/interactions', batch)));
    for (const answer of answers) expect(answer.status).toBe(200);
    const accepted = answers.reduce((sum, answer) => sum + answer.body.accepted, 0);
    const duplicates = answers.reduce((sum, answer) => sum + answer.body.duplicates, 0);
    expect(accepted).toBe(500);
    expect(duplicates).toBe(1500);
    expect(await count("SELECT count(*)::int AS n FROM interactions WHERE id LIKE 'race-%'")).toBe(500);
    expect(await count("SELECT count(*)::int AS n FROM contacts WHERE id LIKE 'racer-%'")).toBe(50);
  });

  it('accepts a batch of 10,000', async () => {
    const interactions = Array.from({ length: 10_000 }, (_, index) => ({
      id: `big-${index}`,
      contactId: `big-contact-${index % 1000}`,
      type: ['email_open', 'call', 'meeting'][index % 3],
      occurredAt: new Date(Date.UTC(2026, 4, 1) + index * 60_000).toISOString(),
      actorId: `rep-${index % 7}`,
    }));
    const response = await service.admin.post('/v1/interactions', { interactions });
    expect(response.body).toEqual({ accepted: 10_000, duplicates: 0, token: expect.any(String) });
    expect(await count("SELECT count(*)::int AS n FROM contacts WHERE id LIKE 'big-contact-%'")).toBe(1000);
  });

  it('rejects more than 10,000 or none', async () => {
    const tooMany = await service.admin.post('/v1/interactions', {
      interactions: Array.from({ length: 10_001 }, () => ({ contactId: 'x', type: 'call' })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0]).toMatchObject({ path: 'interactions', message: expect.stringMatching(/10000/) });
    expect((await service.admin.post('/v1/interactions', { interactions: [] })).status).toBe(400);
    expect((await service.admin.post('/v1/interactions', {})).status).toBe(400);
  });

  const valid = { id: 'v-ok', contactId: 'validation-contact', type: 'call' };
  it.each([
    ['a missing contactId', { type: 'call' }, 'interactions.1.contactId'],
    ['a missing type', { contactId: 'x' }, 'interactions.1.type'],
    ['an empty type', { contactId: 'x', type: '' }, 'interactions.1.type'],
    ['a contactId over 200 characters', { contactId: 'x'.repeat(201), type: 'call' }, 'interactions.1.contactId'],
    ['a timestamp without a zone', { contactId: 'x', type: 'call', occurredAt: '2026-05-01T10:00:00' }, 'interactions.1.occurredAt'],
    ['a date that is not a date', { contactId: 'x', type: 'call', occurredAt: 'yesterday' }, 'interactions.1.occurredAt'],
    [
      'a timestamp more than 5 minutes ahead',
      { contactId: 'x', type: 'call', occurredAt: '2026-06-01T12:05:01Z' },
      'interactions.1.occurredAt',
    ],
    ['properties that are not an object', { contactId: 'x', type: 'call', properties: 'big' }, 'interactions.1.properties'],
    ['an unknown field', { contactId: 'x', type: 'call', score: 5 }, 'interactions.1.score'],
    ['a numeric id', { id: 7, contactId: 'x', type: 'call' }, 'interactions.1.id'],
  ])('rejects %s, naming the item, and stores nothing', async (_what, item, path) => {
    const response = await service.admin.post('/v1/interactions', { interactions: [valid, item] });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect(await count("SELECT count(*)::int AS n FROM interactions WHERE id = 'v-ok'")).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM contacts WHERE id = 'validation-contact'")).toBe(0);
  });

  it('accepts a timestamp just under 5 minutes ahead', async () => {
    const response = await service.admin.post('/v1/interactions', {
      interactions: [{ contactId: 'soon', type: 'call', occurredAt: '2026-06-01T12:04:59Z' }],
    });
    expect(response.status).toBe(200);
  });

  it('answers a body over the limit with 413', async () => {
    const small = await startTestService({ config: { bodyLimitBytes: 1024 } });
    try {
      const response = await small.admin.post('/v1/interactions', {
        interactions: Array.from({ length: 100 }, () => ({ contactId: 'x', type: 'call' })),
      });
      expect(response.status).toBe(413);
      expect(response.body.detail).toMatch(/1024 bytes/);
    } finally {
      await small.close();
    }
  });
});

describe('GET /v1/contacts/{id}/interactions', () => {
  it('pages newest first with a cursor', async () => {
    const interactions = Array.from({ length: 12 }, (_, index) => ({
      id: `tl-${index}`,
      contactId: 'timeline',
      type: 'call',
      occurredAt: new Date(Date.UTC(2026, 4, 1 + (index % 4))).toISOString(),
    }));
    await service.admin.post('/v1/interactions', { interactions });
    const seen: string[] = [];
    let cursor: string | null = null;
    const occurred: string[] = [];
    do {
      const page = await service.admin.get(`/v1/contacts/timeline/interactions?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      occurred.push(...page.body.items.map((item: { occurredAt: string }) => item.occurredAt));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(12);
    expect([...occurred].sort().reverse()).toEqual(occurred);
  });

  it('answers 404 for an unknown contact', async () => {
    expect((await service.admin.get('/v1/contacts/nobody/interactions')).status).toBe(404);
  });
});

describe('rate limit', () => {
  it('answers 429 problem+json with Retry-After past the per-key limit', async () => {
    const limited = await startTestService({ config: { rateLimitPerSecond: 3 } });
    try {
      const answers = [];
      for (let index = 0; index < 5; index++) answers.push(await limited.admin.get('/v1/me'));
      const refused = answers.find((answer) => answer.status === 429);
      expect(refused).toBeDefined();
      expect(refused!.headers['retry-after']).toBe('1');
      expect(refused!.body.detail).toMatch(/3 requests per second/);
    } finally {
      await limited.close();
    }
  });
});
