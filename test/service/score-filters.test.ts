import { DAY, pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * GET /v1/contacts by score: the index-backed answers must equal the scores computed from the
 * ledger for every contact, at any later time, across expiries, with paging.
 */
let service: TestService;
let agent: AuthedAgent;
const T0 = Date.parse('2026-05-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const bands = [
  { name: 'Cold', min: 0, max: 20, color: '#0000ff' },
  { name: 'Warm', min: 20, max: 50, color: '#ffa500' },
  { name: 'Hot', min: 50, max: 100, color: '#ff0000' },
];

let decaying: string;
let flat: string;

beforeAll(async () => {
  service = await startTestService();
  agent = service.as(await service.key('admin', 'filters'));
  service.clock.set(iso(T0));
  const document = (name: string, extra: Record<string, unknown>) => ({
    name,
    kind: 'points',
    rules: [
      pointsRule('Payment', 'payment', 12),
      pointsRule('Call', 'call', 5),
      pointsRule('Complaint', 'complaint', -9),
      {
        name: 'Partner',
        conditions: { all: [{ fact: 'contact', path: '$.tags', operator: 'contains', value: 'partner' }] },
        event: { type: 'points', params: { points: 15 } },
      },
      {
        name: 'DND',
        conditions: { all: [{ fact: 'contact', path: '$.attributes.dnd', operator: 'equal', value: true }] },
        event: { type: 'points', params: { points: -10 } },
      },
    ],
    range: { min: 0, max: 100 },
    bands,
    ...extra,
  });
  decaying = await publishProfile(service, document('Decaying', { decay: { halfLifeDays: 9 }, window: { days: 40 } }), agent);
  flat = await publishProfile(service, document('Flat', { window: { days: 40 } }), agent);
  await agent.post('/v1/contacts/batch', {
    contacts: Array.from({ length: 60 }, (_, index) => ({
      id: `f${String(index).padStart(2, '0')}`,
      tags: index % 5 === 0 ? ['partner'] : index % 2 ? ['odd'] : [],
      attributes: { dnd: index % 7 === 0 },
    })),
  });
  const interactions = [];
  for (let index = 0; index < 60; index++) {
    const count = index % 6;
    for (let n = 0; n < count; n++) {
      interactions.push({
        id: `fi-${index}-${n}`,
        contactId: `f${String(index).padStart(2, '0')}`,
        type: ['payment', 'call', 'complaint', 'call'][(index + n) % 4],
        occurredAt: iso(T0 - ((index * 3 + n * 11) % 35) * DAY - n * 3_600_000),
      });
    }
  }
  await agent.post('/v1/interactions', { interactions });
});
afterAll(() => service.close());

async function truth(profileId: string): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  for (let index = 0; index < 60; index++) {
    const id = `f${String(index).padStart(2, '0')}`;
    scores.set(id, (await agent.get(`/v1/profiles/${profileId}/scores/${id}`)).body.score);
  }
  return scores;
}

async function all(query: string): Promise<{ id: string; score: number; band: { name: string } | null }[]> {
  const items = [];
  let cursor: string | null = null;
  do {
    const response = await agent.get(`/v1/contacts?${query}&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).toBe(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
  } while (cursor);
  return items;
}

/** Same contacts as the ledger says, in score order (the API sorts by the exact score, so equal shown scores may come in any order). */
function expectOrdered(items: { id: string; score: number }[], expected: Map<string, number>, descending: boolean) {
  expect(items.map((item) => item.id).sort()).toEqual([...expected.keys()].sort());
  for (const item of items) expect(item.score).toBe(expected.get(item.id));
  for (let index = 1; index < items.length; index++) {
    const [previous, current] = [items[index - 1].score, items[index].score];
    if (descending) expect(current).toBeLessThanOrEqual(previous);
    else expect(current).toBeGreaterThanOrEqual(previous);
  }
}

describe.each([
  ['decaying', () => decaying],
  ['flat', () => flat],
])('%s profile', (_name, profile) => {
  it.each([0, 3.5, 17, 39, 45])('orders and filters exactly as the ledger says %s days later', async (days) => {
    service.clock.set(iso(T0 + days * DAY));
    const id = profile();
    const expected = await truth(id);
    const descending = await all(`profileId=${id}&sort=-score`);
    expectOrdered(descending, expected, true);
    const ascending = await all(`profileId=${id}&sort=score`);
    expectOrdered(ascending, expected, false);
    // The same order both ways: ascending is descending reversed, ties included.
    expect(ascending.map((item) => item.id)).toEqual(descending.map((item) => item.id).reverse());

    const between = await all(`profileId=${id}&minScore=10&maxScore=30.5`);
    expect(between.map((item) => item.id).sort()).toEqual(
      [...expected]
        .filter(([, score]) => score >= 10 && score <= 30.5)
        .map(([key]) => key)
        .sort(),
    );
    const warm = await all(`profileId=${id}&band=Warm`);
    expect(warm.map((item) => item.id).sort()).toEqual(
      [...expected]
        .filter(([, score]) => score >= 20 && score < 50)
        .map(([key]) => key)
        .sort(),
    );
    for (const item of warm) expect(item.band!.name).toBe('Warm');
    const cold = await all(`profileId=${id}&band=Cold&tag=odd`);
    expect(cold.map((item) => item.id).sort()).toEqual(
      [...expected]
        .filter(([key, score]) => score < 20 && Number(key.slice(1)) % 2 === 1 && Number(key.slice(1)) % 5 !== 0)
        .map(([key]) => key)
        .sort(),
    );

    const byActivity = await all(`profileId=${id}&sort=-lastInteractionAt&minScore=20`);
    expect(byActivity.map((item) => item.id).sort()).toEqual(
      [...expected]
        .filter(([, score]) => score >= 20)
        .map(([key]) => key)
        .sort(),
    );
  });
});

it('includes the edges of minScore and maxScore', async () => {
  service.clock.set(iso(T0));
  const expected = await truth(flat);
  const some = [...expected.values()].find((score) => score > 0 && score < 100)!;
  const exact = await all(`profileId=${flat}&minScore=${some}&maxScore=${some}`);
  expect(exact.length).toBeGreaterThan(0);
  expect(exact.every((item) => item.score === some)).toBe(true);
});

it('refuses score filters without a profile, unknown bands and unknown profiles', async () => {
  const noProfile = await agent.get('/v1/contacts?minScore=3&sort=score');
  expect(noProfile.status).toBe(400);
  expect(noProfile.body.errors.map((error: { path: string }) => error.path)).toEqual(['minScore', 'sort']);
  const band = await agent.get(`/v1/contacts?profileId=${flat}&band=Lukewarm`);
  expect(band.status).toBe(400);
  expect(band.body.errors[0]).toMatchObject({ path: 'band', message: expect.stringContaining('Cold') });
  const unknown = await agent.get('/v1/contacts?profileId=00000000-0000-4000-8000-000000000000');
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors[0].path).toBe('profileId');
  const stranger = service.as(await service.key('admin', 'stranger'));
  expect((await stranger.get(`/v1/contacts?profileId=${flat}`)).status).toBe(400);
  expect((await agent.get(`/v1/contacts?profileId=${flat}&minScore=abc`)).status).toBe(400);
});

it('answers with an index scan, not a sort of every contact', async () => {
  const version = (
    await service.database.db.query('SELECT live_version_id AS v, workspace_id AS w FROM profiles WHERE id = $1', [decaying])
  ).rows[0];
  const plan = await service.database.db.query(
    `EXPLAIN SELECT contact_id FROM scores sc WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND sc.qualified AND sc.state_points = 0 AND (sc.sign, sc.sort_key) >= (1::smallint, 10::float8)
      ORDER BY sc.sign DESC, sc.sort_key DESC, sc.contact_id DESC LIMIT 50`,
    [version.w, version.v],
  );
  void plan;
  const client = await service.database.db.connect();
  try {
    // With sorting priced out, a plan without a Sort node exists only if the index yields the order.
    await client.query('SET enable_sort = off; SET enable_seqscan = off');
    const forced = await client.query(
      `EXPLAIN SELECT contact_id FROM scores sc WHERE sc.workspace_id = $1 AND sc.version_id = $2 AND sc.qualified AND sc.state_points = 0 AND (sc.sign, sc.sort_key) >= (1::smallint, 10::float8)
        ORDER BY sc.sign DESC, sc.sort_key DESC, sc.contact_id DESC LIMIT 50`,
      [version.w, version.v],
    );
    const text = forced.rows.map((row) => row['QUERY PLAN']).join('\n');
    expect(text).toMatch(/Index (Only )?Scan Backward using scores_by_score/);
    expect(text).not.toMatch(/Sort/);
  } finally {
    client.release(true);
  }
});
