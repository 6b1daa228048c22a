import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

describe('PUT /v1/contacts/{id}', () => {
  it('creates (201) then updates (200), keeping fields left out and clearing nulls', async () => {
    const created = await service.admin.put('/v1/contacts/crm-1', {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      accountId: 'acme',
      ownerId: 'rep-1',
      tags: ['vip', 'vip', 'emea'],
      attributes: { plan: 'pro', dndAll: false },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'crm-1',
      name: 'Ada Lovelace',
      tags: ['vip', 'emea'],
      attributes: { plan: 'pro', dndAll: false },
      lastInteractionAt: null,
    });

    const updated = await service.admin.put('/v1/contacts/crm-1', { email: null, attributes: { dndAll: true, plan: null, seats: 12 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'Ada Lovelace',
      email: null,
      accountId: 'acme',
      tags: ['vip', 'emea'],
      attributes: { dndAll: true, seats: 12 },
    });
    expect(updated.body.attributes).not.toHaveProperty('plan');

    const fetched = await service.admin.get('/v1/contacts/crm-1');
    expect(fetched.body).toEqual({ ...updated.body, scores: [] });
  });

  it.each([
    ['an unknown field', { nickname: 'x' }, 'nickname'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a non-array of tags', { tags: 'vip' }, 'tags'],
    ['an empty tag', { tags: ['ok', ''] }, 'tags.1'],
    ['attributes that are not an object', { attributes: [1, 2] }, 'attributes'],
    ['an empty accountId', { accountId: '' }, 'accountId'],
  ])('rejects %s with 400 naming the field', async (_what, body, path) => {
    const response = await service.admin.put('/v1/contacts/bad-1', body);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect((await service.admin.get('/v1/contacts/bad-1')).status).toBe(404);
  });

  it('rejects a contact id longer than 200 characters', async () => {
    const response = await service.admin.put(`/v1/contacts/${'x'.repeat(201)}`, { name: 'Long' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('contactId');
  });

  it('accepts ids with characters that need URL encoding', async () => {
    const id = 'hubspot:123/ä b';
    expect((await service.admin.put(`/v1/contacts/${encodeURIComponent(id)}`, { name: 'Encoded' })).status).toBe(201);
    expect((await service.admin.get(`/v1/contacts/${encodeURIComponent(id)}`)).body.id).toBe(id);
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await service.admin.put('/v1/contacts/json-1').set('Content-Type', 'application/json').send('{"name": ');
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/not valid JSON/);
  });

  it('asks for a JSON body when none is sent', async () => {
    const response = await service.admin.put('/v1/contacts/json-2');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('(body)');
  });
});

describe('POST /v1/contacts/batch', () => {
  it('upserts 10,000 contacts in one call and counts created and updated', async () => {
    const contacts = Array.from({ length: 10_000 }, (_, index) => ({
      id: `bulk-${index}`,
      name: `Contact ${index}`,
      tags: index % 2 ? ['odd'] : ['even'],
    }));
    const first = await service.admin.post('/v1/contacts/batch', { contacts });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ created: 10_000, updated: 0, token: expect.any(String) });
    const second = await service.admin.post('/v1/contacts/batch', { contacts: [{ id: 'bulk-1', ownerId: 'rep-9' }, { id: 'bulk-new' }] });
    expect(second.body).toEqual({ created: 1, updated: 1, token: expect.any(String) });
    expect((await service.admin.get('/v1/contacts/bulk-1')).body).toMatchObject({ name: 'Contact 1', ownerId: 'rep-9', tags: ['odd'] });
  });

  it('rejects the whole batch when one item is invalid, naming its index', async () => {
    const response = await service.admin.post('/v1/contacts/batch', { contacts: [{ id: 'ok-a' }, { id: 'ok-b', email: 'nope' }] });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'contacts.1.email' })]);
    expect((await service.admin.get('/v1/contacts/ok-a')).status).toBe(404);
  });

  it('rejects a batch naming a contact twice, and an oversized batch', async () => {
    const twice = await service.admin.post('/v1/contacts/batch', { contacts: [{ id: 'dup' }, { id: 'dup' }] });
    expect(twice.status).toBe(400);
    expect(twice.body.errors).toEqual([{ path: 'contacts.1.id', message: 'duplicates contacts.0.id' }]);
    const tooMany = await service.admin.post('/v1/contacts/batch', {
      contacts: Array.from({ length: 10_001 }, (_, index) => ({ id: `t${index}` })),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0]).toMatchObject({ path: 'contacts' });
    const empty = await service.admin.post('/v1/contacts/batch', { contacts: [] });
    expect(empty.status).toBe(400);
  });
});

describe('GET /v1/contacts', () => {
  let agent: TestService['admin'];
  beforeAll(async () => {
    agent = service.as(await service.key('admin', 'listing'));
    await agent.post('/v1/contacts/batch', {
      contacts: [
        { id: 'a', tags: ['vip'], accountId: 'acme', ownerId: 'rep-1' },
        { id: 'b', tags: ['lead'], accountId: 'acme', ownerId: 'rep-2' },
        { id: 'c', tags: ['vip', 'lead'], accountId: 'globex', ownerId: 'rep-1' },
        { id: 'd', tags: [] },
      ],
    });
    service.clock.set('2026-06-01T12:00:00Z');
    await agent.post('/v1/interactions', {
      interactions: [
        { contactId: 'b', type: 'call', occurredAt: '2026-05-01T00:00:00Z' },
        { contactId: 'c', type: 'call', occurredAt: '2026-05-03T00:00:00Z' },
        { contactId: 'a', type: 'call', occurredAt: '2026-05-02T00:00:00Z' },
      ],
    });
  });

  const ids = (body: { items: { id: string }[] }) => body.items.map((item) => item.id);

  it('filters by any of several tags, account and owner', async () => {
    expect(ids((await agent.get('/v1/contacts?tag=vip')).body)).toEqual(['a', 'c']);
    expect(ids((await agent.get('/v1/contacts?tag=vip&tag=lead')).body)).toEqual(['a', 'b', 'c']);
    expect(ids((await agent.get('/v1/contacts?accountId=acme')).body)).toEqual(['a', 'b']);
    expect(ids((await agent.get('/v1/contacts?ownerId=rep-1&tag=lead')).body)).toEqual(['c']);
  });

  it('sorts by last interaction both ways (never contacted first when ascending)', async () => {
    expect(ids((await agent.get('/v1/contacts?sort=lastInteractionAt')).body)).toEqual(['d', 'b', 'a', 'c']);
    expect(ids((await agent.get('/v1/contacts?sort=-lastInteractionAt')).body)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('validates its parameters', async () => {
    for (const [query, path] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['sort=name', 'sort'],
      ['colour=red', 'colour'],
      ['cursor=garbage', 'cursor'],
    ]) {
      const response = await agent.get(`/v1/contacts?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
  });

  it('refuses a cursor made for another sort', async () => {
    const page = await agent.get('/v1/contacts?limit=1&sort=lastInteractionAt');
    const response = await agent.get(`/v1/contacts?limit=1&sort=id&cursor=${page.body.nextCursor}`);
    expect(response.status).toBe(400);
  });

  it.each(['id', 'lastInteractionAt', '-lastInteractionAt'])(
    'paginates by %s without repeating or skipping while contacts are inserted',
    async (sort) => {
      const pager = service.as(await service.key('admin', `paging-${sort}`));
      await pager.post('/v1/contacts/batch', {
        contacts: Array.from({ length: 25 }, (_, index) => ({ id: `p${String(index).padStart(2, '0')}` })),
      });
      await pager.post('/v1/interactions', {
        interactions: Array.from({ length: 25 }, (_, index) => ({
          contactId: `p${String(index).padStart(2, '0')}`,
          type: 'call',
          occurredAt: new Date(Date.UTC(2026, 0, 1 + (index % 7))).toISOString(),
        })),
      });
      const seen: string[] = [];
      let cursor: string | null = null;
      let round = 0;
      do {
        const response = await pager.get(`/v1/contacts?sort=${sort}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        seen.push(...ids(response.body));
        cursor = response.body.nextCursor;
        // New contacts arrive between pages (they sort before or after the pages already read).
        await pager.put(`/v1/contacts/new-${round++}`, { name: 'late' });
      } while (cursor);
      const originals = seen.filter((id) => id.startsWith('p'));
      expect(new Set(seen).size).toBe(seen.length);
      expect(originals.sort()).toEqual(Array.from({ length: 25 }, (_, index) => `p${String(index).padStart(2, '0')}`));
    },
  );
});

describe('DELETE /v1/contacts/{id}', () => {
  it('erases the contact and its interactions, so the same interaction ids are new again', async () => {
    await service.admin.post('/v1/interactions', { interactions: [{ id: 'gdpr-1', contactId: 'gone', type: 'call' }] });
    expect((await service.admin.delete('/v1/contacts/gone')).status).toBe(204);
    expect((await service.admin.get('/v1/contacts/gone')).status).toBe(404);
    const { rows } = await service.database.db.query("SELECT count(*)::int AS n FROM interactions WHERE contact_id = 'gone'");
    expect(rows[0].n).toBe(0);
    expect((await service.admin.delete('/v1/contacts/gone')).status).toBe(404);
    const again = await service.admin.post('/v1/interactions', { interactions: [{ id: 'gdpr-1', contactId: 'gone', type: 'call' }] });
    expect(again.body).toEqual({ accepted: 1, duplicates: 0, token: expect.any(String) });
  });
});
