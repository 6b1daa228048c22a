import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject } from 'n8n-workflow';
import { pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';
import { loadOptions, runAction, type CredentialData } from './harness';

/**
 * The operations of issue 15 inside n8n's workflow engine against the running service: Get Many and
 * the version 1 workflows that stored `filter`, the contact resource locator (list search and old
 * plain-string ids), Simplify, typed attributes, Contact Delete and Get Timeline, Account Get and
 * Profile Publish.
 */

let service: TestService;
let server: Server;
let writer: CredentialData;
let admin: CredentialData;
let profileId: string;

const v2 = { typeVersion: 2 };
const v1 = { typeVersion: 1 };

beforeAll(async () => {
  service = await startTestService();
  service.clock.set('2026-07-01T09:00:00Z');
  server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writer = { baseUrl, apiKey: await service.key('writer') };
  admin = { baseUrl, apiKey: await service.key('admin') };
  profileId = await publishProfile(service, {
    name: 'Engagement',
    kind: 'points',
    rules: [pointsRule('Meeting', 'meeting', 40), pointsRule('Form', 'form_submission', 15, { count: 1, perDays: 30 })],
    range: { min: 0, max: 100 },
    bands: [
      { name: 'Cold', min: 0, max: 30, color: '#d64545' },
      { name: 'Warm', min: 30, max: 60, color: '#e0a800' },
      { name: 'Hot', min: 60, max: 100, color: '#2e9d5b' },
    ],
  });
  await service.admin.put('/v1/contacts/ada', { name: 'Ada Lovelace', accountId: 'acme', tags: ['vip'] }).expect(201);
  await service.admin.put('/v1/contacts/adam', { name: 'Adam Smith', accountId: 'acme' }).expect(201);
  await service.admin.put('/v1/contacts/bob', { name: 'Bob', accountId: 'globex' }).expect(201);
  await service.admin
    .post('/v1/interactions', {
      interactions: [
        { id: 'm-1', contactId: 'ada', type: 'meeting', actorId: 'rep-1', occurredAt: '2026-06-30T10:00:00Z' },
        { id: 'f-1', contactId: 'ada', type: 'form_submission', occurredAt: '2026-06-30T11:00:00Z' },
        { id: 'f-2', contactId: 'ada', type: 'form_submission', occurredAt: '2026-06-30T12:00:00Z' },
        { id: 'm-2', contactId: 'adam', type: 'meeting', actorId: 'rep-2', occurredAt: '2026-06-30T10:00:00Z' },
      ],
    })
    .expect(200);
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
});

const profile = () => ({ __rl: true, mode: 'list', value: profileId });
const contact = (id: string, mode: 'list' | 'id' = 'list') => ({ __rl: true, mode, value: id });
const run = (parameters: IDataObject, settings: IDataObject = v2, credentials = writer, items?: IDataObject[]) =>
  runAction(parameters, { credentials, settings, items });

describe('Contact Get Many', () => {
  it('is getAll in version 2, and a version 1 workflow that stored `filter` still lists the same contacts', async () => {
    const parameters = { resource: 'contact', profile: profile(), returnAll: true, filters: { minScore: 1 } };
    const many = await run({ ...parameters, operation: 'getAll' });
    const old = await run({ ...parameters, operation: 'filter' }, v1);
    expect(many.error).toBeUndefined();
    expect(many.items.map((item) => [item.json.id, item.json.score])).toEqual([
      ['ada', 55],
      ['adam', 40],
    ]);
    expect(old.items.map((item) => item.json)).toEqual(many.items.map((item) => item.json));
  });

  it('a version 1 node without a stored operation runs its default, the list (n8n does not store defaults)', async () => {
    const { items, error } = await run({ resource: 'contact', profile: profile(), limit: 1 }, v1);
    expect(error).toBeUndefined();
    expect(items.map((item) => item.json.id)).toEqual(['ada']);
  });
});

describe('the contact resource locator', () => {
  it('lists contacts whose id or name starts with what is typed, a page at a time', async () => {
    const search = (filter?: string, paginationToken?: string) =>
      loadOptions('listSearch', 'searchContacts', { parameters: {}, credentials: writer, filter, paginationToken }) as Promise<{
        results: Array<{ name: string; value: string }>;
        paginationToken?: string;
      }>;
    expect((await search('ad')).results).toEqual([
      { name: 'Ada Lovelace (ada)', value: 'ada' },
      { name: 'Adam Smith (adam)', value: 'adam' },
    ]);
    expect((await search('bo')).results).toEqual([{ name: 'Bob (bob)', value: 'bob' }]);

    await service.admin
      .post('/v1/contacts/batch', {
        contacts: Array.from({ length: 105 }, (_, index) => ({ id: `page-${String(index).padStart(3, '0')}` })),
      })
      .expect(200);
    const first = await search('page-');
    expect(first.results).toHaveLength(100);
    expect(first.paginationToken).toEqual(expect.any(String));
    const second = await search('page-', first.paginationToken);
    expect(second.results.map((result) => result.value)).toEqual(['page-100', 'page-101', 'page-102', 'page-103', 'page-104']);
    expect(second.paginationToken).toBeUndefined();
  });

  it('takes a contact from the list, by ID, from an expression, or as the plain string older workflows stored', async () => {
    const get = (contactId: IDataObject | string, settings = v2) =>
      run({ resource: 'contact', operation: 'get', contactId }, settings, writer, [{ id: 'adam' }]);
    const results = await Promise.all([
      get(contact('ada')),
      get(contact('ada', 'id')),
      get({ __rl: true, mode: 'id', value: '={{ $json.id }}' }),
      get('ada', v1),
      get('={{ $json.id }}', v1),
    ]);
    expect(results.map(({ error, items }) => error?.message ?? items[0].json.id)).toEqual(['ada', 'ada', 'adam', 'ada', 'adam']);
  });
});

describe('Simplify', () => {
  it('Score Get (version 2) returns one flat, short item by default, the full answer with Simplify off', async () => {
    const parameters = { resource: 'score', operation: 'get', profile: profile(), contactId: contact('ada') };
    const simple = await run(parameters);
    const full = await run({ ...parameters, simplify: false });
    expect(simple.items[0].json).toEqual({
      contactId: 'ada',
      profileId,
      score: 55,
      band: 'Warm',
      delta7d: 55,
      delta30d: 55,
      lastInteractionAt: '2026-06-30T12:00:00.000Z',
      nextCrossingAt: null,
      explanation: 'Meeting +40; Form +15',
      suggestions: '',
    });
    expect(Object.values(simple.items[0].json).every((value) => value === null || typeof value !== 'object')).toBe(true);
    expect(full.items[0].json).toMatchObject({
      score: 55,
      band: { name: 'Warm', color: '#e0a800' },
      trend: { delta7d: 55, delta30d: 55 },
      explanation: [
        { rule: 'Meeting', kind: 'interaction', count: 1, points: 40 },
        { rule: 'Form', kind: 'interaction', count: 1, points: 15, limited: 1 },
      ],
    });
  });

  it('a version 1 Score Get keeps returning the full answer (it never had Simplify)', async () => {
    const { items } = await run({ resource: 'score', operation: 'get', profile: profile(), contactId: 'ada' }, v1);
    expect(items[0].json).toMatchObject({ band: { name: 'Warm' }, explanation: expect.any(Array), trend: expect.any(Object) });
  });
});

describe('Contact Get Timeline', () => {
  it('one item per interaction, newest first, with what each earned; simplified in words, or in full', async () => {
    const parameters = { resource: 'contact', operation: 'getTimeline', contactId: contact('ada'), returnAll: true };
    const simple = await run(parameters);
    expect(simple.items.map((item) => item.json)).toEqual([
      {
        id: 'f-2',
        contactId: 'ada',
        type: 'form_submission',
        occurredAt: '2026-06-30T12:00:00.000Z',
        actorId: null,
        actorName: null,
        channel: null,
        direction: null,
        earned: 'Engagement +0 (Form +15, over its limit)',
      },
      expect.objectContaining({ id: 'f-1', earned: 'Engagement +15 (Form +15)' }),
      expect.objectContaining({ id: 'm-1', actorId: 'rep-1', earned: 'Engagement +40 (Meeting +40)' }),
    ]);
    const full = await run({ ...parameters, simplify: false, returnAll: false, limit: 2 });
    expect(full.items.map((item) => item.json.id)).toEqual(['f-2', 'f-1']);
    expect(full.items[1].json).toMatchObject({
      actor: null,
      earned: [{ profileId, profileName: 'Engagement', points: 15, rules: [{ rule: 'Form', points: 15, counted: true }] }],
    });
  });
});

describe('Contact Create or Update with typed attributes', () => {
  it('sends each attribute with the JSON type chosen for it; Remove deletes one', async () => {
    const upsert = (attribute: IDataObject[], settings = v2) =>
      run(
        { resource: 'contact', operation: 'upsert', contactId: contact('typed', 'id'), additionalFields: { attributes: { attribute } } },
        settings,
      );
    const first = await upsert([
      { key: 'plan', type: 'string', value: 'enterprise' },
      { key: 'seats', type: 'number', numberValue: 12.5 },
      { key: 'trial', type: 'boolean', booleanValue: false },
      { key: 'code', type: 'string', value: '007' },
      { key: 'zip', type: 'string', value: '={{ 12345 }}' },
      { key: 'legacy', type: 'string', value: 'yes' },
      { key: 'fromExpression', type: 'number', numberValue: '={{ "42" }}' },
    ]);
    expect(first.error).toBeUndefined();
    await upsert([{ key: 'legacy', type: 'null' }]);
    const stored = await service.admin.get('/v1/contacts/typed').expect(200);
    expect(stored.body.attributes).toStrictEqual({
      plan: 'enterprise',
      seats: 12.5,
      trial: false,
      code: '007',
      zip: '12345',
      fromExpression: 42,
    });
  });

  it('an attribute row saved before the type selector (key and value only) is still sent as text', async () => {
    const { error } = await run(
      {
        resource: 'contact',
        operation: 'upsert',
        contactId: 'typed',
        additionalFields: { attributes: { attribute: [{ key: 'region', value: '12' }] } },
      },
      v1,
    );
    expect(error).toBeUndefined();
    expect((await service.admin.get('/v1/contacts/typed')).body.attributes).toMatchObject({ region: '12', seats: 12.5 });
  });

  it('a number attribute that is not a number fails with its key named', async () => {
    const { error } = await run({
      resource: 'contact',
      operation: 'upsert',
      contactId: contact('typed', 'id'),
      additionalFields: { attributes: { attribute: [{ key: 'seats', type: 'number', numberValue: '={{ "many" }}' }] } },
    });
    expect(error?.message).toBe('Attribute "seats" is not a number: "many"');
  });
});

describe('Contact Delete', () => {
  it('erases the contact; deleting it again is the service’s 404', async () => {
    await service.admin.put('/v1/contacts/gone', { name: 'Gone soon' }).expect(201);
    const deleted = await run({ resource: 'contact', operation: 'delete', contactId: contact('gone') });
    expect(deleted.items.map((item) => item.json)).toEqual([{ deleted: true, contactId: 'gone' }]);
    expect((await service.admin.get('/v1/contacts/gone')).status).toBe(404);
    const again = await run({ resource: 'contact', operation: 'delete', contactId: contact('gone') });
    expect(again.error).toMatchObject({ name: 'NodeApiError', message: 'No contact gone.', httpCode: '404' });
  });
});

describe('Account Get', () => {
  it('returns the roll-up with the account’s contacts and strongest team members, or the roll-up alone', async () => {
    const withRelationships = await run({ resource: 'account', operation: 'get', accountId: 'acme', profile: profile() });
    expect(withRelationships.error).toBeUndefined();
    expect(withRelationships.items[0].json).toMatchObject({
      accountId: 'acme',
      profileId,
      contacts: 2,
      score: expect.any(Number),
      items: [expect.objectContaining({ contactId: 'ada', score: 55 }), expect.objectContaining({ contactId: 'adam', score: 40 })],
      members: expect.any(Array),
    });
    const alone = await run({ resource: 'account', operation: 'get', accountId: 'acme', profile: profile(), includeRelationships: false });
    expect(alone.items[0].json).toMatchObject({ accountId: 'acme', contacts: 2, score: withRelationships.items[0].json.score });
    expect(alone.items[0].json).not.toHaveProperty('items');
  });
});

describe('Profile Publish', () => {
  let draftId: string;
  beforeAll(async () => {
    const created = await service.admin
      .post('/v1/profiles', { name: 'Renewal', kind: 'points', rules: [pointsRule('Meeting', 'meeting', 10)], range: { min: 0, max: 100 } })
      .expect(201);
    draftId = created.body.id as string;
  });

  it('lists the profile in the picker, then publishes it and, waiting until live, returns the succeeded job and the live profile', async () => {
    const picker = (await loadOptions('listSearch', 'searchProfiles', { parameters: {}, credentials: admin, filter: 'renew' })) as {
      results: Array<{ name: string; value: string }>;
    };
    expect(picker.results).toEqual([{ name: 'Renewal (points, not published yet)', value: draftId }]);

    let publishing = true;
    const worker = (async () => {
      while (publishing) {
        await service.runJobs();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const published = await run(
      { resource: 'profile', operation: 'publish', profile: { __rl: true, mode: 'list', value: draftId } },
      v2,
      admin,
    );
    publishing = false;
    await worker;
    expect(published.error).toBeUndefined();
    expect(published.items[0].json).toMatchObject({
      profileId: draftId,
      version: 1,
      job: { kind: 'publish', state: 'succeeded' },
      profile: { id: draftId, status: 'published', version: 1 },
    });
    expect((await service.admin.get(`/v1/profiles/${draftId}/scores/adam`)).body).toMatchObject({ score: 10 });
  });

  it('without waiting answers with the queued job; waiting past the timeout fails and says the publish goes on', async () => {
    const parameters = { resource: 'profile', operation: 'publish', profile: { __rl: true, mode: 'id', value: draftId } };
    const queued = await run({ ...parameters, options: { waitUntilLive: false } }, v2, admin);
    expect(queued.items[0].json).toEqual({ profileId: draftId, version: 2, job: { id: expect.any(String) } });
    await service.runJobs();

    const started = Date.now();
    const timedOut = await run({ ...parameters, options: { timeout: 1 } }, v2, admin);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(timedOut.error).toMatchObject({ name: 'NodeOperationError', message: 'Version 3 is not live after 1 s' });
    expect(timedOut.error!.description).toMatch(/^The publish goes on in the background \(job [0-9a-f-]+: queued, 0 of \d+ contacts\)/);
    await service.runJobs();
  });

  it('needs an admin key: a writer gets the service’s explanation', async () => {
    const { error } = await run(
      { resource: 'profile', operation: 'publish', profile: { __rl: true, mode: 'id', value: draftId } },
      v2,
      writer,
    );
    expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
  });
});
