import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject } from 'n8n-workflow';
import { pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';
import { loadOptions, runAction, type CredentialData } from './harness';

/**
 * Saved segments (issue 16) in the action node, inside n8n's workflow engine against the running
 * service: Contact Get Many by segment, the Segment resource (Get Many, Get, Create, Update, Delete,
 * Get Members) and the segment picker.
 */

let service: TestService;
let server: Server;
let writer: CredentialData;
let reader: CredentialData;
let automation: CredentialData;
let profileId: string;
/** Acme contacts scoring at least 30 in Engagement: ada (55) and adam (40). */
let engagedId: string;
/** 1,005 contacts tagged bulk, more than the service's largest page. */
let bulkId: string;

const v2 = { typeVersion: 2 };
const BULK = 1005;

beforeAll(async () => {
  service = await startTestService();
  service.clock.set('2026-07-01T09:00:00Z');
  server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writer = { baseUrl, apiKey: await service.key('writer') };
  reader = { baseUrl, apiKey: await service.key('reader') };
  automation = { baseUrl, apiKey: await service.key('automation') };
  profileId = await publishProfile(service, {
    name: 'Engagement',
    kind: 'points',
    rules: [pointsRule('Meeting', 'meeting', 40), pointsRule('Form', 'form_submission', 15)],
    range: { min: 0, max: 100 },
    bands: [
      { name: 'Cold', min: 0, max: 30, color: '#d64545' },
      { name: 'Warm', min: 30, max: 60, color: '#e0a800' },
      { name: 'Hot', min: 60, max: 100, color: '#2e9d5b' },
    ],
  });
  await service.admin.put('/v1/contacts/ada', { name: 'Ada Lovelace', accountId: 'acme', tags: ['vip'] }).expect(201);
  await service.admin.put('/v1/contacts/adam', { name: 'Adam Smith', accountId: 'acme' }).expect(201);
  await service.admin.put('/v1/contacts/alan', { name: 'Alan Turing', accountId: 'acme', tags: ['vip'] }).expect(201);
  await service.admin.put('/v1/contacts/bob', { name: 'Bob', accountId: 'globex', tags: ['vip'] }).expect(201);
  await service.admin
    .post('/v1/interactions', {
      interactions: [
        { id: 'm-1', contactId: 'ada', type: 'meeting', occurredAt: '2026-06-30T10:00:00Z' },
        { id: 'f-1', contactId: 'ada', type: 'form_submission', occurredAt: '2026-06-30T11:00:00Z' },
        { id: 'm-2', contactId: 'adam', type: 'meeting', occurredAt: '2026-06-29T10:00:00Z' },
        { id: 'm-3', contactId: 'bob', type: 'meeting', occurredAt: '2026-06-30T10:00:00Z' },
        { id: 'f-2', contactId: 'alan', type: 'form_submission', occurredAt: '2026-06-30T10:00:00Z' },
      ],
    })
    .expect(200);
  for (let start = 0; start < BULK; start += 1000) {
    const contacts = Array.from({ length: Math.min(1000, BULK - start) }, (_, index) => ({
      id: `bulk-${String(start + index).padStart(4, '0')}`,
      tags: ['bulk'],
    }));
    await service.admin.post('/v1/contacts/batch', { contacts }).expect(200);
  }
  const engaged = await service.admin
    .post('/v1/segments', { name: 'Engaged at Acme', filter: { profileId, minScore: 30, accountId: 'acme' } })
    .expect(201);
  engagedId = engaged.body.id as string;
  bulkId = (await service.admin.post('/v1/segments', { name: 'Bulk', filter: { tags: ['bulk'] } }).expect(201)).body.id as string;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
});

const segment = (id: string, mode: 'list' | 'id' = 'list') => ({ __rl: true, mode, value: id });
const profile = () => ({ __rl: true, mode: 'list', value: profileId });
const run = (parameters: IDataObject, credentials = writer, items?: IDataObject[]) =>
  runAction(parameters, { credentials, settings: v2, items });

/** Every member of a segment as the service lists it, following its cursors. */
async function members(id: string, sort?: string): Promise<IDataObject[]> {
  const all: IDataObject[] = [];
  let cursor: string | null = null;
  do {
    const query: string = new URLSearchParams({ limit: '1000', ...(sort ? { sort } : {}), ...(cursor ? { cursor } : {}) }).toString();
    const page = await service.admin.get(`/v1/segments/${id}/contacts?${query}`).expect(200);
    all.push(...(page.body.items as IDataObject[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return all;
}

describe('Contact Get Many by segment', () => {
  it('lists exactly the segment’s members, with score and band, in the segment’s order', async () => {
    const { items, error } = await run({
      resource: 'contact',
      operation: 'getAll',
      source: 'segment',
      segment: segment(engagedId),
      returnAll: true,
    });
    expect(error).toBeUndefined();
    expect(items.map((item) => item.json)).toEqual(await members(engagedId));
    expect(items.map((item) => [item.json.id, item.json.score, (item.json.band as IDataObject).name])).toEqual([
      ['ada', 55, 'Warm'],
      ['adam', 40, 'Warm'],
    ]);
  });

  it('follows the cursors past the service’s largest page, or stops at the limit; a segment without profile sorts by ID', async () => {
    const parameters = { resource: 'contact', operation: 'getAll', source: 'segment', segment: segment(bulkId, 'id') };
    const all = await run({ ...parameters, returnAll: true });
    expect(all.error).toBeUndefined();
    expect(all.items).toHaveLength(BULK);
    expect(all.items.map((item) => item.json)).toEqual(await members(bulkId));
    const few = await run({ ...parameters, returnAll: false, limit: 3 });
    expect(few.items.map((item) => item.json.id)).toEqual(['bulk-0000', 'bulk-0001', 'bulk-0002']);
    expect(few.items[0].json).not.toHaveProperty('score');
  });

  it('takes a sort; a score sort on a segment without profile is the service’s explanation', async () => {
    const recent = await run({
      resource: 'contact',
      operation: 'getAll',
      source: 'segment',
      segment: segment(engagedId),
      returnAll: true,
      segmentSort: 'lastInteractionAt',
    });
    expect(recent.items.map((item) => item.json.id)).toEqual(['adam', 'ada']);
    const refused = await run({
      resource: 'contact',
      operation: 'getAll',
      source: 'segment',
      segment: segment(bulkId),
      limit: 1,
      segmentSort: '-score',
    });
    // The service answers 400 on `sort`: a segment without a profile has no score to sort by.
    expect(refused.error).toMatchObject({ name: 'NodeApiError', httpCode: expect.stringMatching(/^4\d\d$/) });
    expect(refused.error!.message).toMatch(/Sorting by score needs a segment whose filter names a profile/);
  });

  it('without Source (workflows built before it) still lists contacts by the profile and filters', async () => {
    const { items, error } = await run({
      resource: 'contact',
      operation: 'getAll',
      profile: profile(),
      returnAll: true,
      filters: { minScore: 30 },
    });
    expect(error).toBeUndefined();
    expect(items.map((item) => item.json.id)).toEqual(['ada', 'bob', 'adam']);
  });
});

describe('the segment picker', () => {
  it('lists the segments with their size, filtered by what is typed', async () => {
    const search = (filter?: string) =>
      loadOptions('listSearch', 'searchSegments', { parameters: {}, credentials: automation, filter }) as Promise<{
        results: Array<{ name: string; value: string }>;
      }>;
    expect((await search()).results).toEqual(
      expect.arrayContaining([
        { name: 'Engaged at Acme (2 contacts)', value: engagedId },
        { name: 'Bulk (1,005 contacts)', value: bulkId },
      ]),
    );
    expect((await search('ACME')).results).toEqual([{ name: 'Engaged at Acme (2 contacts)', value: engagedId }]);
  });
});

describe('the Segment resource', () => {
  let createdId: string;

  it('Create saves the name, description, profile and filters, and answers with the size now', async () => {
    const { items, error } = await run({
      resource: 'segment',
      operation: 'create',
      name: 'VIPs at Acme',
      profile: profile(),
      filters: { tags: 'vip, key account', accountId: 'acme', band: 'Warm', lastInteractionAfter: '7d', maxScore: 59 },
      additionalFields: { description: 'Warm VIPs of Acme' },
    });
    expect(error).toBeUndefined();
    expect(items).toHaveLength(1);
    expect(items[0].json).toMatchObject({
      name: 'VIPs at Acme',
      description: 'Warm VIPs of Acme',
      filter: { profileId, tags: ['vip', 'key account'], accountId: 'acme', band: 'Warm', lastInteractionAfter: '7d', maxScore: 59 },
      watched: false,
      size: 1,
    });
    createdId = items[0].json.id as string;
    expect((await service.admin.get(`/v1/segments/${createdId}`).expect(200)).body.filter).toEqual(items[0].json.filter);
  });

  it('Create without a profile needs none; a score range without one is the service’s field error', async () => {
    const plain = await run({ resource: 'segment', operation: 'create', name: 'Quiet', filters: { lastInteractionBefore: '30d' } });
    expect(plain.items[0].json).toMatchObject({ name: 'Quiet', description: null, filter: { lastInteractionBefore: '30d' } });
    expect(plain.items[0].json.size).toBe(BULK);
    const refused = await run({ resource: 'segment', operation: 'create', name: 'Broken', filters: { minScore: 10 } });
    expect(refused.error).toMatchObject({ name: 'NodeApiError', httpCode: '400' });
    expect(refused.error!.description).toContain('minScore');
  });

  it('Get returns the segment with its size; Get Many lists every segment with its size', async () => {
    const got = await run({ resource: 'segment', operation: 'get', segment: segment(createdId, 'id') }, reader);
    expect(got.items[0].json).toMatchObject({ id: createdId, name: 'VIPs at Acme', size: 1 });
    const many = await run({ resource: 'segment', operation: 'getAll', returnAll: true }, automation);
    expect(many.error).toBeUndefined();
    const sizes = Object.fromEntries(many.items.map((item) => [item.json.name, item.json.size]));
    expect(sizes).toEqual({ 'Engaged at Acme': 2, Bulk: BULK, 'VIPs at Acme': 1, Quiet: BULK });
    const limited = await run({ resource: 'segment', operation: 'getAll', returnAll: false, limit: 2 }, reader);
    expect(limited.items).toHaveLength(2);
  });

  it('Update changes what it names and keeps the rest; an emptied condition is removed; Replace Filter starts afresh', async () => {
    const renamed = await run({
      resource: 'segment',
      operation: 'update',
      segment: segment(createdId),
      updateFields: { name: 'Acme VIPs' },
      filters: { accountId: '', tags: 'vip' },
    });
    expect(renamed.error).toBeUndefined();
    expect(renamed.items[0].json).toMatchObject({ name: 'Acme VIPs', description: 'Warm VIPs of Acme' });
    expect(renamed.items[0].json.filter).toEqual({ profileId, tags: ['vip'], band: 'Warm', lastInteractionAfter: '7d', maxScore: 59 });
    // ada (55, Warm) and bob (40, Warm) are VIPs; alan (15) is Cold.
    expect(renamed.items[0].json.size).toBe(2);

    const replaced = await run({
      resource: 'segment',
      operation: 'update',
      segment: segment(createdId),
      updateFields: { description: '' },
      replaceFilter: true,
      filters: { allTags: 'vip' },
    });
    expect(replaced.items[0].json).toMatchObject({ name: 'Acme VIPs', description: null, filter: { allTags: ['vip'] }, size: 3 });
    expect((await service.admin.get(`/v1/segments/${createdId}`)).body.filter).toEqual({ allTags: ['vip'] });
  });

  it('Get Members lists the members, all of them or up to the limit, in the chosen order', async () => {
    const all = await run({ resource: 'segment', operation: 'getMembers', segment: segment(createdId), returnAll: true });
    expect(all.items.map((item) => item.json.id)).toEqual(['ada', 'alan', 'bob']);
    expect(all.items.map((item) => item.json)).toEqual(await members(createdId));
    const latest = await run({
      resource: 'segment',
      operation: 'getMembers',
      segment: segment(createdId),
      limit: 2,
      segmentSort: '-lastInteractionAt',
    });
    expect(latest.items.map((item) => item.json.id)).toEqual(['ada', 'bob']);
    const bulk = await run({ resource: 'segment', operation: 'getMembers', segment: segment(bulkId), returnAll: true });
    expect(bulk.items).toHaveLength(BULK);
    const scored = await run({ resource: 'segment', operation: 'getMembers', segment: segment(engagedId), returnAll: true }, reader);
    expect(scored.items.map((item) => [item.json.id, item.json.score])).toEqual([
      ['ada', 55],
      ['adam', 40],
    ]);
  });

  it('a reader or automation key cannot change segments: the service’s explanation', async () => {
    for (const credentials of [reader, automation]) {
      const { error } = await run({ resource: 'segment', operation: 'create', name: 'Nope' }, credentials);
      expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '403' });
      expect(error!.message).toMatch(/needs the writer role/);
    }
  });

  it('Delete removes the segment; deleting it again is the service’s 404', async () => {
    const deleted = await run({ resource: 'segment', operation: 'delete', segment: segment(createdId) });
    expect(deleted.items.map((item) => item.json)).toEqual([{ deleted: true, segmentId: createdId }]);
    expect((await service.admin.get(`/v1/segments/${createdId}`)).status).toBe(404);
    const again = await run({ resource: 'segment', operation: 'delete', segment: segment(createdId) });
    expect(again.error).toMatchObject({ name: 'NodeApiError', httpCode: '404' });
  });
});
