import { exampleProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

describe('authentication', () => {
  it('refuses a request without a key with 401 problem+json', async () => {
    const response = await service.http.get('/v1/me');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(response.body).toMatchObject({ status: 401, title: 'Unauthorized' });
  });

  it('refuses an unknown key and a malformed header', async () => {
    expect((await service.as('es_not-a-real-key').get('/v1/me')).status).toBe(401);
    expect((await service.http.get('/v1/me').set('Authorization', 'Basic abc')).status).toBe(401);
  });

  it('tells a key its workspace and role', async () => {
    const reader = await service.key('reader');
    const response = await service.as(reader).get('/v1/me');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ workspace: { name: 'test' }, role: 'reader' });
  });
});

describe('roles', () => {
  it('lets a reader read but not write (403)', async () => {
    const reader = service.as(await service.key('reader'));
    expect((await reader.get('/v1/contacts')).status).toBe(200);
    const write = await reader.put('/v1/contacts/c1', { name: 'Ada' });
    expect(write.status).toBe(403);
    expect(write.body.detail).toMatch(/writer/);
    expect((await reader.post('/v1/interactions', { interactions: [{ contactId: 'c1', type: 'call' }] })).status).toBe(403);
  });

  it('lets a writer write contacts and interactions but not manage keys', async () => {
    const writer = service.as(await service.key('writer'));
    expect((await writer.put('/v1/contacts/w1', { name: 'Ada' })).status).toBe(201);
    expect((await writer.post('/v1/interactions', { interactions: [{ contactId: 'w1', type: 'call' }] })).status).toBe(200);
    expect((await writer.post('/v1/keys', { role: 'reader' })).status).toBe(403);
    expect((await writer.get('/v1/keys')).status).toBe(403);
  });
});

describe('automation keys', () => {
  it('read, record interactions and manage subscriptions, and nothing else', async () => {
    const created = await service.admin.post('/v1/keys', { role: 'automation', name: 'n8n' });
    expect(created.status).toBe(201);
    const automation = service.as(created.body.key);
    expect((await automation.get('/v1/me')).body).toMatchObject({ role: 'automation' });
    expect((await automation.get('/v1/contacts')).status).toBe(200);
    expect((await automation.get('/v1/profiles')).status).toBe(200);
    expect((await automation.post('/v1/interactions', { interactions: [{ contactId: 'auto-1', type: 'call' }] })).status).toBe(200);
    expect((await automation.get('/v1/subscriptions')).status).toBe(200);
    const profile = await service.admin.post('/v1/profiles', { ...exampleProfile('engagement-highlevel'), name: 'Automation check' });
    expect(profile.status).toBe(201);
    const subscribed = await automation.post('/v1/subscriptions', {
      profileId: profile.body.id,
      event: 'band.changed',
      url: 'https://hooks.example.com/n8n',
    });
    expect(subscribed.status).toBe(201);
    expect((await automation.delete(`/v1/subscriptions/${subscribed.body.id}`)).status).toBe(204);

    const refused = [
      await automation.put('/v1/contacts/auto-1', { name: 'Ada' }),
      await automation.delete('/v1/contacts/auto-1'),
      await automation.post(`/v1/profiles/${profile.body.id}/scores/auto-1/adjustments`, { delta: 5, reason: 'x' }),
      await automation.post('/v1/keys', { role: 'admin' }),
      await automation.get('/v1/keys'),
      await automation.post(`/v1/profiles/${profile.body.id}/publish`, {}),
    ];
    for (const response of refused) {
      expect(response.status).toBe(403);
      expect(response.body.detail).toMatch(/automation keys may read, record interactions and manage subscriptions only/);
    }
  });
});

describe('keys', () => {
  it('records when a key was last used, at most once a minute', async () => {
    const created = await service.admin.post('/v1/keys', { role: 'reader', name: 'usage' });
    const lastUsed = async () => {
      const listed = await service.admin.get('/v1/keys');
      return listed.body.items.find((item: { id: string }) => item.id === created.body.id).lastUsedAt as string | null;
    };
    expect(await lastUsed()).toBeNull();
    const reader = service.as(created.body.key);
    const waitFor = async (expected: string) => {
      for (let attempt = 0; attempt < 50 && (await lastUsed()) !== expected; attempt++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await lastUsed()).toBe(expected);
    };
    const first = service.clock.now().toISOString();
    await reader.get('/v1/me');
    await waitFor(first);
    service.clock.advance(30_000);
    await reader.get('/v1/me');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lastUsed()).toBe(first);
    service.clock.advance(31_000);
    const later = service.clock.now().toISOString();
    await reader.get('/v1/me');
    await waitFor(later);
  });

  it('creates a key shown once, lists it without the secret, and revokes it at once', async () => {
    const created = await service.admin.post('/v1/keys', { role: 'writer', name: 'zapier' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^es_[A-Za-z0-9_-]{43}$/);
    expect(created.body).toMatchObject({ role: 'writer', name: 'zapier', origin: 'api' });

    const listed = await service.admin.get('/v1/keys');
    const entry = listed.body.items.find((item: { id: string }) => item.id === created.body.id);
    expect(entry).toMatchObject({ role: 'writer', name: 'zapier' });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

    const newKey = service.as(created.body.key);
    expect((await newKey.get('/v1/me')).status).toBe(200);
    expect((await service.admin.delete(`/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await newKey.get('/v1/me')).status).toBe(401);
    expect((await service.admin.delete(`/v1/keys/${created.body.id}`)).status).toBe(404);
  });

  it('stores only a hash of each key', async () => {
    const created = await service.admin.post('/v1/keys', { role: 'reader' });
    const { rows } = await service.database.db.query('SELECT * FROM api_keys WHERE id = $1', [created.body.id]);
    expect(JSON.stringify(rows)).not.toContain(created.body.key);
    expect(rows[0].key_hash).toHaveLength(32);
  });

  it('validates the role', async () => {
    const response = await service.admin.post('/v1/keys', { role: 'owner' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: 'role' })]);
  });
});

describe('workspaces are isolated', () => {
  it("answers 404 for another workspace's contact, interactions and keys", async () => {
    const mine = service.as(await service.key('admin', 'acme'));
    const theirs = service.as(await service.key('admin', 'globex'));
    expect((await mine.put('/v1/contacts/secret-contact', { name: 'Hidden' })).status).toBe(201);
    expect((await mine.post('/v1/interactions', { interactions: [{ contactId: 'secret-contact', type: 'call' }] })).status).toBe(200);

    expect((await theirs.get('/v1/contacts/secret-contact')).status).toBe(404);
    expect((await theirs.get('/v1/contacts/secret-contact/interactions')).status).toBe(404);
    expect((await theirs.delete('/v1/contacts/secret-contact')).status).toBe(404);
    expect((await theirs.get('/v1/contacts')).body.items).toEqual([]);

    const myKey = await mine.post('/v1/keys', { role: 'reader' });
    expect((await theirs.delete(`/v1/keys/${myKey.body.id}`)).status).toBe(404);
    expect((await mine.get('/v1/contacts/secret-contact')).status).toBe(200);
  });

  it('keeps the same contact id apart in two workspaces', async () => {
    const one = service.as(await service.key('writer', 'one'));
    const two = service.as(await service.key('writer', 'two'));
    await one.put('/v1/contacts/same', { name: 'In one' });
    await two.put('/v1/contacts/same', { name: 'In two' });
    expect((await one.get('/v1/contacts/same')).body.name).toBe('In one');
    expect((await two.get('/v1/contacts/same')).body.name).toBe('In two');
  });
});
