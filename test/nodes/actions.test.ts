import nock from 'nock';
import {
  band,
  BASE_URL,
  contactAnswer,
  credentials,
  mockTheService,
  OTHER_PROFILE_ID,
  problem,
  PROFILE_ID,
  profileAnswer,
  scoreAnswer,
  serve,
} from './contract';
import { loadOptions, runAction } from './harness';

/**
 * Every operation of the Engagement Score node inside n8n's engine, against nock answers held to the
 * service's request and answer schemas (./contract.ts).
 */

const profile = { __rl: true, mode: 'list', value: PROFILE_ID };
const continueOnFail = { onError: 'continueRegularOutput' as const };

mockTheService();

describe('Score', () => {
  it('Get reads the score of each item’s contact, encoding the id in the path', async () => {
    const calls = serve('get', '/v1/profiles/:id/scores/:contactId', ({ params }) => [200, scoreAnswer(params.contactId, 42)]);
    const { items, error } = await runAction(
      { resource: 'score', operation: 'get', profile, contactId: '={{ $json.id }}' },
      { credentials, items: [{ id: 'crm/42 #1' }, { id: 'ada@example.com' }] },
    );
    expect(error).toBeUndefined();
    expect(calls.map((call) => [call.path, call.params])).toEqual([
      [`/v1/profiles/${PROFILE_ID}/scores/crm%2F42%20%231`, { id: PROFILE_ID, contactId: 'crm/42 #1' }],
      [`/v1/profiles/${PROFILE_ID}/scores/ada%40example.com`, { id: PROFILE_ID, contactId: 'ada@example.com' }],
    ]);
    expect(items.map((item) => [item.json.contactId, item.json.score, item.pairedItem])).toEqual([
      ['crm/42 #1', 42, { item: 0 }],
      ['ada@example.com', 42, { item: 1 }],
    ]);
  });

  it('Get takes the profile by ID too, and reads a date picked in the editor in the workflow’s time zone', async () => {
    const calls = serve('get', '/v1/profiles/:id/scores/:contactId', ({ params }) => [200, scoreAnswer(params.contactId, 10)]);
    await runAction(
      {
        resource: 'score',
        operation: 'get',
        profile: { __rl: true, mode: 'id', value: OTHER_PROFILE_ID },
        contactId: 'c1',
        options: { asOf: '2026-07-01T09:00:00' },
      },
      { credentials, timezone: 'Europe/Berlin' },
    );
    await runAction(
      { resource: 'score', operation: 'get', profile, contactId: 'c1', options: { asOf: '2026-07-01T09:00:00Z' } },
      { credentials },
    );
    expect(calls.map((call) => [call.params.id, call.query])).toEqual([
      [OTHER_PROFILE_ID, { asOf: '2026-07-01T07:00:00.000Z' }],
      [PROFILE_ID, { asOf: '2026-07-01T09:00:00.000Z' }],
    ]);
  });

  it.each([
    ['add', { points: 12.5 }, { delta: 12.5 }],
    ['subtract', { points: 20 }, { delta: -20 }],
    ['set', { score: 75 }, { set: 75 }],
  ])('Update %s sends the adjustment with its reason', async (change, values, expected) => {
    const calls = serve('post', '/v1/profiles/:id/scores/:contactId/adjustments', ({ params }) => [201, scoreAnswer(params.contactId, 75)]);
    const { items } = await runAction(
      { resource: 'score', operation: 'update', profile, contactId: 'c1', change, ...values, reason: 'Renewal call went well' },
      { credentials },
    );
    expect(calls.map((call) => call.body)).toEqual([{ ...expected, reason: 'Renewal call went well' }]);
    expect(items.map((item) => item.json.score)).toEqual([75]);
  });

  it('Get History outputs one item per point with its interval and range', async () => {
    const calls = serve('get', '/v1/profiles/:id/scores/:contactId/history', ({ params, query }) => [
      200,
      {
        profileId: params.id,
        contactId: params.contactId,
        interval: query.interval,
        points: [
          { at: '2026-06-17T00:00:00.000Z', score: 20, band: 'Cold' },
          { at: '2026-06-24T00:00:00.000Z', score: 35.5, band: 'Warm' },
        ],
      },
    ]);
    const { items } = await runAction(
      {
        resource: 'score',
        operation: 'getHistory',
        profile,
        contactId: 'c1',
        options: { interval: 'week', from: '2026-06-17T00:00:00Z', to: '2026-06-24T00:00:00Z' },
      },
      { credentials },
    );
    expect(calls.map((call) => call.query)).toEqual([
      { interval: 'week', from: '2026-06-17T00:00:00.000Z', to: '2026-06-24T00:00:00.000Z' },
    ]);
    expect(items.map((item) => item.json)).toEqual([
      { profileId: PROFILE_ID, contactId: 'c1', interval: 'week', at: '2026-06-17T00:00:00.000Z', score: 20, band: 'Cold' },
      { profileId: PROFILE_ID, contactId: 'c1', interval: 'week', at: '2026-06-24T00:00:00.000Z', score: 35.5, band: 'Warm' },
    ]);
    expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);
  });
});

describe('Contact', () => {
  /** A list of `total` contacts served `pageSize` at a time, with opaque cursors as the service's. */
  function serveContacts(total: number, pageSize?: number) {
    return serve('get', '/v1/contacts', ({ query }) => {
      const start = typeof query.cursor === 'string' ? Number(Buffer.from(query.cursor, 'base64url').toString()) : 0;
      const size = Math.min(Number(query.limit ?? 50), pageSize ?? Infinity);
      const end = Math.min(total, start + size);
      const items = Array.from({ length: end - start }, (_, offset) => ({
        ...contactAnswer(`c${start + offset}`),
        score: 100 - start - offset,
        band: band('Hot'),
      }));
      return [200, { items, nextCursor: end < total ? Buffer.from(String(end)).toString('base64url') : null }];
    });
  }

  it('Filter sends every filter the way the service reads them', async () => {
    const calls = serveContacts(3);
    const { items } = await runAction(
      {
        resource: 'contact',
        operation: 'filter',
        profile,
        limit: 10,
        sort: 'lastInteractionAt',
        filters: { minScore: 40, maxScore: 69.5, band: 'Warm', tags: 'vip, renewal ,', accountId: 'acme', ownerId: 'rep-7' },
      },
      { credentials },
    );
    expect(calls.map((call) => call.query)).toEqual([
      {
        profileId: PROFILE_ID,
        sort: 'lastInteractionAt',
        minScore: '40',
        maxScore: '69.5',
        band: 'Warm',
        tag: ['vip', 'renewal'],
        accountId: 'acme',
        ownerId: 'rep-7',
        limit: '10',
      },
    ]);
    expect(items.map((item) => [item.json.id, item.pairedItem])).toEqual([
      ['c0', { item: 0 }],
      ['c1', { item: 0 }],
      ['c2', { item: 0 }],
    ]);
  });

  it('Filter with Return All follows the cursors in pages of 1000 until the list ends', async () => {
    const calls = serveContacts(2300);
    const { items } = await runAction(
      { resource: 'contact', operation: 'filter', profile, returnAll: true, filters: { tags: 'vip' } },
      { credentials },
    );
    expect(
      calls.map((call) => [
        call.query.limit,
        typeof call.query.cursor === 'string' ? Buffer.from(call.query.cursor, 'base64url').toString() : null,
      ]),
    ).toEqual([
      ['1000', null],
      ['1000', '1000'],
      ['1000', '2000'],
    ]);
    expect(calls[0].query).toMatchObject({ profileId: PROFILE_ID, sort: '-score', tag: 'vip' });
    expect(items).toHaveLength(2300);
    expect(new Set(items.map((item) => item.json.id)).size).toBe(2300);
  });

  it('Filter with a Limit asks only for what is still missing, across short pages, and stops there', async () => {
    const calls = serveContacts(100, 3);
    const { items } = await runAction({ resource: 'contact', operation: 'filter', profile, limit: 5 }, { credentials });
    expect(calls.map((call) => call.query.limit)).toEqual(['5', '2']);
    expect(items.map((item) => item.json.id)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('Filter with the default limit reads 50 contacts', async () => {
    const calls = serveContacts(80);
    const { items } = await runAction({ resource: 'contact', operation: 'filter', profile }, { credentials });
    expect(calls.map((call) => call.query.limit)).toEqual(['50']);
    expect(items).toHaveLength(50);
  });

  it('Get reads one contact with its scores', async () => {
    const calls = serve('get', '/v1/contacts/:contactId', ({ params }) => [
      200,
      {
        ...contactAnswer(params.contactId, { name: 'Ada' }),
        scores: [{ profileId: PROFILE_ID, profileName: 'Engagement', version: 1, score: 55, band: band('Warm') }],
      },
    ]);
    const { items } = await runAction({ resource: 'contact', operation: 'get', contactId: ' crm-42 ' }, { credentials });
    expect(calls.map((call) => call.params.contactId)).toEqual(['crm-42']);
    expect(items[0].json).toMatchObject({ id: 'crm-42', name: 'Ada', scores: [{ score: 55 }] });
  });

  it('Upsert sends only the fields given: texts trimmed, emptied ones as null, tags split, attributes merged', async () => {
    const calls = serve('put', '/v1/contacts/:contactId', ({ params, body }) => [
      201,
      contactAnswer(params.contactId, body as Record<string, unknown>),
    ]);
    const { items } = await runAction(
      {
        resource: 'contact',
        operation: 'upsert',
        contactId: '={{ $json.id }}',
        additionalFields: {
          name: '={{ $json.name }}',
          email: 'ada@example.com',
          ownerId: '',
          tags: 'vip, renewal',
          attributes: {
            attribute: [
              { key: 'plan', value: 'enterprise' },
              { key: ' seats ', value: '={{ 25 }}' },
              { key: '', value: 'ignored' },
            ],
          },
        },
      },
      { credentials, items: [{ id: 'crm-42', name: ' Ada Lovelace ' }] },
    );
    expect(calls.map((call) => [call.params.contactId, call.body])).toEqual([
      [
        'crm-42',
        {
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          ownerId: null,
          tags: ['vip', 'renewal'],
          attributes: { plan: 'enterprise', seats: 25 },
        },
      ],
    ]);
    expect(items[0].json).toMatchObject({ id: 'crm-42', name: 'Ada Lovelace', tags: ['vip', 'renewal'] });
  });

  it('Upsert with no field only makes sure the contact exists', async () => {
    const calls = serve('put', '/v1/contacts/:contactId', ({ params }) => [200, contactAnswer(params.contactId)]);
    await runAction({ resource: 'contact', operation: 'upsert', contactId: 'crm-1' }, { credentials });
    expect(calls.map((call) => call.body)).toEqual([{}]);
  });
});

describe('Relationship and Insight', () => {
  const members = [
    {
      actorId: 'rep-7',
      name: 'Grace',
      email: 'grace@example.com',
      strength: 63.21,
      share: 70,
      interactions: 3,
      lastInteractionAt: '2026-06-30T10:00:00.000Z',
    },
    { actorId: 'rep-2', name: null, email: null, strength: 20, share: 30, interactions: 1, lastInteractionAt: '2026-06-01T10:00:00.000Z' },
  ];

  it('Relationship Get ranks the team members, with the contact’s own score beside each', async () => {
    const calls = serve('get', '/v1/contacts/:contactId/relationships', ({ params, query }) => [
      200,
      {
        contactId: params.contactId,
        profileId: query.profileId ?? OTHER_PROFILE_ID,
        version: 1,
        score: 70.5,
        band: band('Hot'),
        computedAt: '2026-07-01T09:00:00.000Z',
        items: members,
      },
    ]);
    const { items } = await runAction(
      { resource: 'relationship', operation: 'get', contactId: 'crm-42', profile: { __rl: true, mode: 'list', value: '' }, limit: 1 },
      { credentials },
    );
    const all = await runAction(
      { resource: 'relationship', operation: 'get', contactId: 'crm-42', profile, returnAll: true },
      { credentials },
    );
    expect(calls.map((call) => call.query)).toEqual([{}, { profileId: PROFILE_ID }]);
    expect(items.map((item) => item.json)).toEqual([
      { contactId: 'crm-42', profileId: OTHER_PROFILE_ID, contactScore: 70.5, contactBand: band('Hot'), rank: 1, ...members[0] },
    ]);
    expect(all.items.map((item) => [item.json.rank, item.json.actorId, item.json.profileId])).toEqual([
      [1, 'rep-7', PROFILE_ID],
      [2, 'rep-2', PROFILE_ID],
    ]);
  });

  it('Insight Get returns the review as one item', async () => {
    const review = {
      profileId: PROFILE_ID,
      version: 1,
      days: 14,
      from: '2026-06-17T09:00:00.000Z',
      to: '2026-07-01T09:00:00.000Z',
      contacts: 2,
      distribution: [{ band: 'Warm', color: '#e0a800', count: 1, previousCount: 2 }],
      averageScore: 50,
      previousAverageScore: 55,
      averageDelta: -5,
      histogram: [
        { from: 40, to: 45, count: 1 },
        { from: 45, to: 50, count: 1 },
      ],
      risers: [],
      fallers: [{ contactId: 'crm-42', name: 'Ada', tags: ['vip'], score: 45, previousScore: 60, delta: -15, band: 'Warm' }],
      needsAttention: [],
    };
    const calls = serve('get', '/v1/profiles/:id/insights', () => [200, review]);
    const { items } = await runAction(
      { resource: 'insight', operation: 'get', profile, options: { days: 14, listSize: 5 } },
      { credentials },
    );
    const defaults = await runAction({ resource: 'insight', operation: 'get', profile }, { credentials });
    expect(calls.map((call) => [call.params.id, call.query])).toEqual([
      [PROFILE_ID, { days: '14', limit: '5' }],
      [PROFILE_ID, {}],
    ]);
    expect(items.map((item) => item.json)).toEqual([review]);
    expect(defaults.items).toHaveLength(1);
  });
});

describe('Profiles and bands loaded from the service', () => {
  const bands = [
    { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
    { name: 'Cold', min: 0, max: 40, color: '#d64545' },
    { name: 'Hot', min: 70, max: 100, color: '#2e9d5b' },
  ];

  it('lists the profiles, filtered by what the user types, saying which are not published yet', async () => {
    serve('get', '/v1/profiles', () => [
      200,
      { items: [profileAnswer(PROFILE_ID, 'Engagement', 'published'), profileAnswer(OTHER_PROFILE_ID, 'Renewal outlook', 'draft')] },
    ]);
    const all = await loadOptions('listSearch', 'searchProfiles', { parameters: {}, credentials });
    const filtered = await loadOptions('listSearch', 'searchProfiles', { parameters: {}, credentials, filter: 'RENEW' });
    expect(all).toEqual({
      results: [
        { name: 'Engagement (points)', value: PROFILE_ID },
        { name: 'Renewal outlook (points, not published yet)', value: OTHER_PROFILE_ID },
      ],
    });
    expect(filtered).toEqual({ results: [{ name: 'Renewal outlook (points, not published yet)', value: OTHER_PROFILE_ID }] });
  });

  it('lists the chosen profile’s bands from lowest to highest, and none before a profile is chosen', async () => {
    const calls = serve('get', '/v1/profiles/:id', ({ params }) => [200, profileAnswer(params.id, 'Engagement', 'published', bands)]);
    const options = await loadOptions('loadOptions', 'getBands', {
      parameters: { resource: 'contact', operation: 'filter', profile },
      credentials,
    });
    const none = await loadOptions('loadOptions', 'getBands', {
      parameters: { resource: 'contact', operation: 'filter', profile: { __rl: true, mode: 'list', value: '' } },
      credentials,
    });
    expect(options).toEqual(['Cold', 'Warm', 'Hot'].map((name) => ({ name, value: name })));
    expect(none).toEqual([]);
    expect(calls).toHaveLength(1);
  });
});

describe('Errors', () => {
  it('a problem answer becomes a NodeApiError: detail as message, field errors as description, on its item', async () => {
    serve('get', '/v1/contacts', () =>
      problem(400, 'Invalid query parameters: 1 problem(s), see errors.', [{ path: 'band', message: 'one of: Cold, Warm, Hot' }]),
    );
    const { error } = await runAction(
      { resource: 'contact', operation: 'filter', profile, filters: { band: 'Lukewarm' } },
      { credentials },
    );
    expect(error).toMatchObject({
      name: 'NodeApiError',
      message: 'Invalid query parameters: 1 problem(s), see errors.',
      description: 'band: one of: Cold, Warm, Hot',
      httpCode: '400',
      context: { itemIndex: 0 },
    });
  });

  it('without field errors the title describes it; the key’s role problem reads as the service says', async () => {
    serve('post', '/v1/profiles/:id/scores/:contactId/adjustments', () =>
      problem(403, 'This operation needs the writer role; the API key used has the reader role.'),
    );
    const { error } = await runAction(
      { resource: 'score', operation: 'update', profile, contactId: 'c1', change: 'add', points: 1, reason: 'x' },
      { credentials },
    );
    expect(error).toMatchObject({
      message: 'This operation needs the writer role; the API key used has the reader role.',
      description: 'Forbidden',
      httpCode: '403',
    });
  });

  it('an answer that is not problem+json still gives its status and text', async () => {
    nock(BASE_URL)
      .get(/\/v1\/contacts\/.*/)
      .reply(502, '<html>Bad gateway</html>', { 'Content-Type': 'text/html' });
    const { error } = await runAction({ resource: 'contact', operation: 'get', contactId: 'c1' }, { credentials });
    expect(error).toMatchObject({ name: 'NodeApiError', message: 'HTTP 502: <html>Bad gateway</html>', httpCode: '502' });
  });

  it('with Continue On Fail each failing item becomes an error item, the others go on, all paired', async () => {
    serve('get', '/v1/contacts/:contactId', ({ params }) =>
      params.contactId === 'gone' ? problem(404, 'No contact gone.') : [200, { ...contactAnswer(params.contactId), scores: [] }],
    );
    const { items, error } = await runAction(
      { resource: 'contact', operation: 'get', contactId: '={{ $json.id }}' },
      { credentials, items: [{ id: 'c1' }, { id: 'gone' }, { id: 'c3' }], settings: continueOnFail },
    );
    expect(error).toBeUndefined();
    expect(items.map((item) => [item.json.id ?? item.json.error, item.json.httpCode, item.pairedItem])).toEqual([
      ['c1', undefined, { item: 0 }],
      ['No contact gone.', '404', { item: 1 }],
      ['c3', undefined, { item: 2 }],
    ]);
  });

  it('without Continue On Fail the first failing item stops the node', async () => {
    const calls = serve('get', '/v1/contacts/:contactId', () => problem(404, 'No contact c1.'));
    const { error } = await runAction(
      { resource: 'contact', operation: 'get', contactId: '={{ $json.id }}' },
      { credentials, items: [{ id: 'c1' }, { id: 'c2' }] },
    );
    expect(error).toMatchObject({ message: 'No contact c1.', httpCode: '404' });
    expect(calls).toHaveLength(1);
  });

  it('a date that is no date is refused before anything is sent', async () => {
    const calls = serve('get', '/v1/profiles/:id/scores/:contactId', ({ params }) => [200, scoreAnswer(params.contactId, 1)]);
    const { items } = await runAction(
      { resource: 'score', operation: 'get', profile, contactId: 'c1', options: { asOf: 'last tuesday' } },
      { credentials, settings: continueOnFail },
    );
    expect(items.map((item) => item.json.error)).toEqual(['As Of is not a date and time: "last tuesday"']);
    expect(calls).toHaveLength(0);
  });
});
