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

describe('keys', () => {
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
