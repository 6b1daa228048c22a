import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IDataObject } from 'n8n-workflow';
import { pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';
import { actionNode, chain, runAction, runWorkflow, testCredential, type CredentialData } from './harness';

/**
 * The nodes inside n8n's workflow engine against the running service (real PostgreSQL, real HTTP):
 * Record → Get Score → Filter, as a builder would wire them.
 */

let service: TestService;
let server: Server;
let writer: CredentialData;
let profileId: string;

beforeAll(async () => {
  service = await startTestService();
  service.clock.set('2026-07-01T09:00:00Z');
  server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  writer = { baseUrl, apiKey: await service.key('writer') };
  profileId = await publishProfile(service, {
    name: 'Engagement',
    kind: 'points',
    rules: [pointsRule('Form', 'form_submission', 15), pointsRule('Meeting', 'meeting', 40)],
    range: { min: 0, max: 100 },
    bands: [
      { name: 'Cold', min: 0, max: 30, color: '#d64545' },
      { name: 'Warm', min: 30, max: 60, color: '#e0a800' },
      { name: 'Hot', min: 60, max: 100, color: '#2e9d5b' },
    ],
  });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
});

const profile = () => ({ __rl: true, mode: 'list', value: profileId });

describe('Record → Get Score → Filter', () => {
  it('records every item in one request, reads each score and filters by band', async () => {
    const submissions = [
      { email: 'ada@example.com', form: 'pricing', id: 'f-1' },
      { email: 'ada@example.com', form: 'demo', id: 'f-2' },
      { email: 'bob@example.com', form: 'pricing', id: 'f-3' },
    ];
    const result = await runWorkflow({
      credentials: writer,
      startNode: 'Record',
      items: submissions,
      nodes: [
        actionNode('Record', {
          resource: 'interaction',
          operation: 'record',
          contactId: '={{ $json.email }}',
          interactionType: 'form_submission',
          additionalFields: { id: '={{ $json.id }}', properties: '={{ { form: $json.form } }}' },
        }),
        actionNode('Get Score', { resource: 'score', operation: 'get', profile: profile(), contactId: '={{ $json.contactId }}' }),
        actionNode(
          'Filter',
          { resource: 'contact', operation: 'filter', profile: profile(), returnAll: true, filters: { band: 'Warm' } },
          { executeOnce: true },
        ),
      ],
      connections: chain('Record', 'Get Score', 'Filter'),
    });
    expect(result.error).toBeUndefined();
    const recorded = result.output('Record');
    expect(recorded.map((item) => [item.json.contactId, item.json.id, item.pairedItem])).toEqual([
      ['ada@example.com', 'f-1', { item: 0 }],
      ['ada@example.com', 'f-2', { item: 1 }],
      ['bob@example.com', 'f-3', { item: 2 }],
    ]);
    expect(recorded[0].json.batch).toEqual({ size: 3, accepted: 3, duplicates: 0, token: expect.stringMatching(/^es1\./), scored: true });
    expect(
      result.output('Get Score').map((item) => [item.json.contactId, item.json.score, (item.json.band as { name: string }).name]),
    ).toEqual([
      ['ada@example.com', 30, 'Warm'],
      ['ada@example.com', 30, 'Warm'],
      ['bob@example.com', 15, 'Cold'],
    ]);
    expect(result.output('Filter').map((item) => [item.json.id, item.json.score])).toEqual([['ada@example.com', 30]]);
  });
});

describe('the other operations against the service', () => {
  it('Upsert, Get contact, Update (add, subtract, set), Get History, Relationship and Insight', async () => {
    const run = (parameters: IDataObject, items?: IDataObject[]) => runAction(parameters, { credentials: writer, items });
    const upserted = await run({
      resource: 'contact',
      operation: 'upsert',
      contactId: 'crm/7 #a',
      additionalFields: { name: 'Grace', tags: 'vip, renewal', attributes: { attribute: [{ key: 'plan', value: 'pro' }] } },
    });
    expect(upserted.items[0].json).toMatchObject({ id: 'crm/7 #a', name: 'Grace', tags: ['vip', 'renewal'], attributes: { plan: 'pro' } });
    await run({
      resource: 'interaction',
      operation: 'record',
      contactId: 'crm/7 #a',
      interactionType: 'meeting',
      additionalFields: { id: 'm-7', actorId: 'rep-1' },
    });

    const added = await run({
      resource: 'score',
      operation: 'update',
      profile: profile(),
      contactId: 'crm/7 #a',
      change: 'add',
      points: 10,
      reason: 'Great call',
    });
    const subtracted = await run({
      resource: 'score',
      operation: 'update',
      profile: profile(),
      contactId: 'crm/7 #a',
      change: 'subtract',
      points: 5,
      reason: 'Missed a meeting',
    });
    const set = await run({
      resource: 'score',
      operation: 'update',
      profile: profile(),
      contactId: 'crm/7 #a',
      change: 'set',
      score: 20,
      reason: 'Reset by hand',
    });
    expect([added, subtracted, set].map(({ items }) => items[0].json.score)).toEqual([50, 45, 20]);
    expect((set.items[0].json.explanation as Array<{ reason?: string }>).map((line) => line.reason).filter(Boolean)).toEqual([
      'Great call',
      'Missed a meeting',
      'Reset by hand',
    ]);

    const contact = await run({ resource: 'contact', operation: 'get', contactId: 'crm/7 #a' });
    expect(contact.items[0].json).toMatchObject({ id: 'crm/7 #a', scores: [{ profileId, score: 20, band: { name: 'Cold' } }] });

    service.clock.set('2026-07-03T09:00:00Z');
    const history = await run({
      resource: 'score',
      operation: 'getHistory',
      profile: profile(),
      contactId: 'crm/7 #a',
      options: { from: '2026-06-30T09:00:00Z', to: '2026-07-02T09:00:00Z' },
    });
    expect(history.items.map((item) => [item.json.at, item.json.score])).toEqual([
      ['2026-06-30T09:00:00.000Z', 0],
      ['2026-07-01T09:00:00.000Z', 20],
      ['2026-07-02T09:00:00.000Z', 20],
    ]);

    const relationships = await run({
      resource: 'relationship',
      operation: 'get',
      contactId: 'crm/7 #a',
      profile: profile(),
      returnAll: true,
    });
    expect(relationships.items.map((item) => [item.json.rank, item.json.actorId, item.json.contactScore])).toEqual([[1, 'rep-1', 20]]);

    const review = await run({ resource: 'insight', operation: 'get', profile: profile(), options: { days: 7 } });
    expect(review.items).toHaveLength(1);
    expect(review.items[0].json).toMatchObject({ profileId, days: 7, contacts: expect.any(Number), distribution: expect.any(Array) });
  });

  it('Record sends 1,500 items in two requests, and Filter with Return All follows the service’s cursor', async () => {
    const items = Array.from({ length: 1500 }, (_, index) => ({ contact: `bulk-${String(index).padStart(4, '0')}` }));
    const recorded = await runAction(
      {
        resource: 'interaction',
        operation: 'record',
        contactId: '={{ $json.contact }}',
        interactionType: 'form_submission',
        additionalFields: { id: '={{ "bulk-" + $json.contact }}' },
      },
      { credentials: writer, items },
    );
    expect(recorded.items.map((item) => item.json.batch)).toEqual([
      ...Array(1000).fill({ size: 1000, accepted: 1000, duplicates: 0, token: expect.any(String), scored: true }),
      ...Array(500).fill({ size: 500, accepted: 500, duplicates: 0, token: expect.any(String), scored: true }),
    ]);
    const filtered = await runAction(
      { resource: 'contact', operation: 'filter', profile: profile(), returnAll: true, sort: 'id', filters: { maxScore: 15 } },
      { credentials: writer },
    );
    const bulk = filtered.items.map((item) => item.json.id as string).filter((id) => id.startsWith('bulk-'));
    expect(bulk).toHaveLength(1500);
    expect(bulk).toEqual([...bulk].sort());
  });

  it('the service’s errors reach n8n as its own words, per item with Continue On Fail', async () => {
    const { items } = await runAction(
      { resource: 'score', operation: 'get', profile: profile(), contactId: '={{ $json.id }}' },
      { credentials: writer, items: [{ id: 'ada@example.com' }, { id: 'nobody' }], settings: { onError: 'continueRegularOutput' } },
    );
    expect(items.map((item) => [item.pairedItem, item.json.score ?? item.json.error, item.json.httpCode ?? null])).toEqual([
      [{ item: 0 }, 30, null],
      [{ item: 1 }, 'No contact nobody.', '404'],
    ]);
    const refused = await runAction(
      {
        resource: 'interaction',
        operation: 'record',
        contactId: 'ada@example.com',
        interactionType: 'call',
        additionalFields: { occurredAt: '2999-01-01T00:00:00Z' },
      },
      { credentials: writer },
    );
    expect(refused.error).toMatchObject({
      name: 'NodeApiError',
      message: 'Invalid request body: 1 problem(s), see errors.',
      description: 'Input item 0 (contact ada@example.com), occurredAt: more than 5 minutes in the future',
      httpCode: '400',
    });
  });
});

describe('the credential', () => {
  it('tests with GET /v1/me: a good key passes, whatever the base URL’s trailing slash; a wrong one is refused', async () => {
    const good = await testCredential(writer);
    const noSlash = await testCredential({ ...writer, baseUrl: writer.baseUrl.replace(/\/$/, '') });
    const wrong = await testCredential({ ...writer, apiKey: 'es_wrong' });
    expect([good.status, noSlash.status, wrong.status]).toEqual([200, 200, 401]);
    expect(good.body).toMatchObject({ workspace: { name: 'test' }, role: 'writer' });
  });
});
