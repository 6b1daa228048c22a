import { ScoreModel } from '../../service/scoring/math';
import { compileProfile, type ProfileDocument } from '../../service/scoring/profile';
import { rollUp } from '../../service/scoring/relationships';
import { bandNumberSql, scoresInPeriod } from '../../service/store/score-periods';
import { watchedVersion } from '../../service/store/profiles';
import { periodCorrections } from '../../service/scoring/periods';
import { parameters } from '../../service/store/score-sql';
import { DAY, exampleProfile, pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

let service: TestService;
let agent: AuthedAgent;
const T0 = Date.parse('2026-09-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

beforeAll(async () => {
  service = await startTestService();
  service.clock.set(iso(T0));
  agent = service.as(await service.key('admin', 'network'));
});
afterAll(() => service.close());

describe('who knows a contact best', () => {
  it('ranks three team members by their own strength, with shares and names', async () => {
    const profileId = await publishProfile(service, exampleProfile('relationship-strength'), agent);
    await agent.put('/v1/members/rep-a', { name: 'Alice Adams', email: 'alice@us.example' });
    await agent.put('/v1/members/rep-c', { name: 'Carol Chen' });
    await agent.post('/v1/interactions', {
      interactions: [
        { id: 'r-1', contactId: 'dana', type: 'meeting', actorId: 'rep-a', occurredAt: iso(T0), properties: { place: 'SaaStr, booth 12' } },
        { id: 'r-2', contactId: 'dana', type: 'call', actorId: 'rep-a', occurredAt: iso(T0 - 1000) },
        { id: 'r-3', contactId: 'dana', type: 'email', actorId: 'rep-b', occurredAt: iso(T0 - 30 * DAY) },
        { id: 'r-4', contactId: 'dana', type: 'email', actorId: 'rep-c', occurredAt: iso(T0) },
        { id: 'r-5', contactId: 'dana', type: 'note', actorId: 'rep-d', occurredAt: iso(T0) },
      ],
    });
    const response = await agent.get(`/v1/contacts/dana/relationships?profileId=${profileId}`);
    expect(response.status).toBe(200);
    // R: rep-a 10 + 7·2^(−1s/30d) ≈ 17, rep-b 5·2^(−1) = 2.5, rep-c 5; total 24.5; strength = 100·(1 − e^(−R/20)).
    expect(response.body.items).toEqual([
      {
        actorId: 'rep-a',
        name: 'Alice Adams',
        email: 'alice@us.example',
        strength: 57.26,
        share: 69.39,
        interactions: 2,
        lastInteractionAt: iso(T0),
      },
      { actorId: 'rep-c', name: 'Carol Chen', email: null, strength: 22.12, share: 20.41, interactions: 1, lastInteractionAt: iso(T0) },
      { actorId: 'rep-b', name: null, email: null, strength: 11.75, share: 10.2, interactions: 1, lastInteractionAt: iso(T0 - 30 * DAY) },
      { actorId: 'rep-d', name: null, email: null, strength: 0, share: 0, interactions: 1, lastInteractionAt: iso(T0) },
    ]);
    expect(response.body.score).toBe(70.62); // 100 · (1 − e^(−24.5/20))
    // Without profileId the published relationship profile is used.
    expect((await agent.get('/v1/contacts/dana/relationships')).body.items[0].actorId).toBe('rep-a');
    // Exact as of the request: a month later rep-a's strength has halved in R.
    service.clock.set(iso(T0 + 30 * DAY));
    const later = await agent.get(`/v1/contacts/dana/relationships?profileId=${profileId}`);
    expect(later.body.items[0].actorId).toBe('rep-a');
    expect(later.body.items[0].strength).toBeCloseTo(34.63, 1); // R = 8.5
    service.clock.set(iso(T0));
  });

  it('names the strongest team member in suggestions', async () => {
    const profileId = await publishProfile(
      service,
      {
        ...exampleProfile('relationship-strength'),
        name: 'With introductions',
        suggestions: [
          {
            name: 'Introduce',
            conditions: { all: [{ fact: 'score', operator: 'greaterThanInclusive', value: 0 }] },
            event: {
              type: 'suggestion',
              params: { action: 'ask_introduction', message: 'Ask {strongestMember} to introduce you to {contact.name} ({score}, {band})' },
            },
          },
        ],
      },
      agent,
    );
    await agent.put('/v1/contacts/dana', { name: 'Dana Diaz' });
    const score = await agent.get(`/v1/profiles/${profileId}/scores/dana`);
    expect(score.body.suggestions).toEqual([
      { action: 'ask_introduction', message: 'Ask Alice Adams to introduce you to Dana Diaz (70.62, Strong)' },
    ]);
  });

  it('shows in the timeline who each interaction was with and what it earned per profile', async () => {
    const timeline = await agent.get('/v1/contacts/dana/interactions?limit=10');
    const meeting = timeline.body.items.find((item: { id: string }) => item.id === 'r-1');
    expect(meeting).toMatchObject({
      actor: { id: 'rep-a', name: 'Alice Adams', email: 'alice@us.example' },
      properties: { place: 'SaaStr, booth 12' },
      earned: expect.arrayContaining([
        {
          profileId: expect.any(String),
          profileName: 'Relationship strength',
          points: 10,
          rules: [{ rule: 'Meeting', points: 10, counted: true }],
        },
      ]),
    });
  });
});

describe('accounts', () => {
  let profileId: string;
  beforeAll(async () => {
    profileId = await publishProfile(
      service,
      {
        name: 'Account points',
        kind: 'points',
        rules: [pointsRule('Payment', 'payment', 10), pointsRule('Call', 'call', 5)],
        range: { min: 0, max: 100 },
        bands: [
          { name: 'Cold', min: 0, max: 50, color: '#0000ff' },
          { name: 'Hot', min: 50, max: 100, color: '#ff0000' },
        ],
      },
      agent,
    );
    await agent.post('/v1/contacts/batch', {
      contacts: [
        { id: 'acme-hot', name: 'Hot Harry', accountId: 'acme' },
        { id: 'acme-cold', name: 'Cold Cathy', accountId: 'acme' },
        ...Array.from({ length: 6 }, (_, index) => ({ id: `big-${index}`, accountId: 'bigco' })),
        { id: 'big-cold', accountId: 'bigco' },
      ],
    });
    await agent.post('/v1/interactions', {
      interactions: [
        ...Array.from({ length: 8 }, (_, index) => ({
          id: `hot-${index}`,
          contactId: 'acme-hot',
          type: 'payment',
          actorId: index % 2 ? 'rep-a' : 'rep-b',
          occurredAt: iso(T0 - (index < 4 ? 3 : 20) * DAY),
        })),
        { id: 'cold-1', contactId: 'acme-cold', type: 'call', actorId: 'rep-c', occurredAt: iso(T0 - 40 * DAY) },
        ...Array.from({ length: 36 }, (_, index) => ({
          id: `big-i-${index}`,
          contactId: `big-${index % 6}`,
          type: 'payment',
          occurredAt: iso(T0 - 60 * DAY),
        })),
      ],
    });
  });

  it('rolls a cold and a hot contact up into a weighted mean of the best, with its trend', async () => {
    const account = await agent.get(`/v1/accounts/acme?profileId=${profileId}`);
    expect(account.status).toBe(200);
    // hot 80, cold 5: (80·2 + 5·1) / 3 = 55; a week ago hot was 40: (40·2 + 5) / 3 = 28.33; a month ago cold 5, hot 0: (5·2 + 0) / 3 = 3.33.
    expect(account.body).toMatchObject({
      accountId: 'acme',
      contacts: 2,
      score: 55,
      band: { name: 'Hot' },
      trend: { delta7d: 26.67, delta30d: 51.67 },
    });
  });

  it('is not sunk by one cold contact in a big account', async () => {
    const account = await agent.get(`/v1/accounts/bigco?profileId=${profileId}`);
    expect(account.body).toMatchObject({ contacts: 7, score: 60 });
    expect(rollUp([90, 10, 10, 10, 10])).toBe(36.67);
    expect(rollUp([42])).toBe(42);
  });

  it("lists the account's contacts with their strongest members, and the account's", async () => {
    const response = await agent.get(`/v1/accounts/acme/relationships?profileId=${profileId}`);
    expect(response.status).toBe(200);
    expect(response.body.items.map((item: { contactId: string; score: number }) => [item.contactId, item.score])).toEqual([
      ['acme-hot', 80],
      ['acme-cold', 5],
    ]);
    expect(response.body.items[0].members.map((member: { actorId: string }) => member.actorId)).toEqual(['rep-a', 'rep-b']);
    expect(response.body.items[0].members[0]).toMatchObject({ name: 'Alice Adams', share: 50 });
    expect(response.body.members.map((member: { actorId: string; share: number }) => [member.actorId, member.share])).toEqual([
      ['rep-a', 47.06],
      ['rep-b', 47.06],
      ['rep-c', 5.88],
    ]);
    expect((await agent.get(`/v1/accounts/nobody?profileId=${profileId}`)).status).toBe(404);
  });
});

describe('insights', () => {
  it('reviews a generated week: distribution then and now, averages, risers, fallers, who needs attention', async () => {
    const week = service.as(await service.key('admin', 'weekly'));
    const profileId = await publishProfile(
      service,
      {
        name: 'Weekly',
        kind: 'points',
        rules: [pointsRule('Payment', 'payment', 20), pointsRule('Complaint', 'complaint', -15)],
        window: { days: 30 },
        range: { min: 0, max: 100 },
        bands: [
          { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
          { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
          { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
        ],
      },
      week,
    );
    await week.post('/v1/contacts/batch', {
      contacts: [
        { id: 'vip-low', tags: ['vip'] },
        { id: 'plain-low' },
        { id: 'riser' },
        { id: 'small-riser' },
        { id: 'expiring' },
        { id: 'complainer' },
        { id: 'steady' },
      ],
    });
    const at = (days: number) => iso(T0 - days * DAY);
    await week.post('/v1/interactions', {
      interactions: [
        { id: 'w-1', contactId: 'riser', type: 'payment', occurredAt: at(2) },
        { id: 'w-2', contactId: 'riser', type: 'payment', occurredAt: at(1) },
        { id: 'w-3', contactId: 'riser', type: 'payment', occurredAt: at(20) },
        { id: 'w-4', contactId: 'small-riser', type: 'payment', occurredAt: at(3) },
        { id: 'w-5', contactId: 'expiring', type: 'payment', occurredAt: at(33) },
        { id: 'w-6', contactId: 'expiring', type: 'payment', occurredAt: at(34) },
        { id: 'w-7', contactId: 'expiring', type: 'payment', occurredAt: at(10) },
        { id: 'w-8', contactId: 'complainer', type: 'payment', occurredAt: at(15) },
        { id: 'w-9', contactId: 'complainer', type: 'payment', occurredAt: at(15) },
        { id: 'w-10', contactId: 'complainer', type: 'complaint', occurredAt: at(2) },
        { id: 'w-11', contactId: 'steady', type: 'payment', occurredAt: at(12) },
        { id: 'w-12', contactId: 'steady', type: 'payment', occurredAt: at(12) },
        { id: 'w-13', contactId: 'steady', type: 'payment', occurredAt: at(12) },
        { id: 'w-14', contactId: 'steady', type: 'payment', occurredAt: at(12) },
        { id: 'w-15', contactId: 'vip-low', type: 'payment', occurredAt: at(20) },
        { id: 'w-16', contactId: 'plain-low', type: 'complaint', occurredAt: at(20) },
      ],
    });
    const response = await week.get(`/v1/profiles/${profileId}/insights?days=7`);
    expect(response.status).toBe(200);
    const body = response.body;
    // Now: riser 60, small-riser 20, expiring 20, complainer 25, steady 80, vip-low 20, plain-low 0.
    // Then: riser 20, small-riser 0, expiring 60, complainer 40, steady 80, vip-low 20, plain-low 0.
    expect(body.contacts).toBe(7);
    expect(body.distribution).toEqual([
      { band: 'Needs attention', color: '#d64545', count: 5, previousCount: 4 },
      { band: 'Warm', color: '#e0a800', count: 1, previousCount: 2 },
      { band: 'Healthy', color: '#2e9d5b', count: 1, previousCount: 1 },
    ]);
    expect(body.averageScore).toBe(32.14);
    expect(body.previousAverageScore).toBe(31.43);
    expect(body.averageDelta).toBe(0.71);
    expect(body.risers.map((item: { contactId: string; delta: number }) => [item.contactId, item.delta])).toEqual([
      ['riser', 40],
      ['small-riser', 20],
    ]);
    expect(body.fallers.map((item: { contactId: string; delta: number }) => [item.contactId, item.delta])).toEqual([
      ['expiring', -40],
      ['complainer', -15],
    ]);
    expect(body.needsAttention.map((item: { contactId: string }) => item.contactId)).toEqual([
      'vip-low',
      'expiring',
      'complainer',
      'plain-low',
      'small-riser',
    ]);
    expect(body.needsAttention[0]).toMatchObject({ tags: ['vip'], score: 20, reasons: ['score under 40 (Needs attention)'] });
  });

  it('counts bands in SQL exactly as the API names them, at every edge', async () => {
    const model = new ScoreModel(
      compileProfile({
        name: 'Edges',
        kind: 'points',
        rules: [pointsRule('Call', 'call', 1)],
        range: { min: -10, max: 100 },
        bands: [
          { name: 'Cold', min: 0, max: 40, color: '#111111' },
          { name: 'Warm', min: 40, max: 70, color: '#222222' },
          { name: 'Hot', min: 70, max: 100, color: '#333333' },
        ],
      } as unknown as ProfileDocument),
    );
    const scores = [-10, -0.01, 0, 0.01, 39.99, 40, 40.01, 69.99, 70, 99.99, 100, 100.01, 150];
    const { values, param } = parameters([scores]);
    const { rows } = await service.database.db.query<{ score: number; band: number }>(
      `SELECT s AS score, ${bandNumberSql(model, 's', param)} AS band FROM unnest($1::float8[]) AS s`,
      values,
    );
    const names = ['Cold', 'Warm', 'Hot'];
    expect(rows.map((row) => [row.score, names[row.band - 1] ?? null])).toEqual(
      scores.map((score) => [score, model.bandOf(score)?.name ?? null]),
    );
  });

  it('computes every past score exactly as the ledger does, with decay and window', async () => {
    const exact = service.as(await service.key('admin', 'exact'));
    const document = {
      name: 'Exact',
      kind: 'points',
      rules: [
        pointsRule('Payment', 'payment', 13),
        pointsRule('Complaint', 'complaint', -7),
        {
          name: 'Partner',
          conditions: { all: [{ fact: 'contact', path: '$.tags', operator: 'contains', value: 'partner' }] },
          event: { type: 'points', params: { points: 9 } },
        },
      ],
      decay: { halfLifeDays: 6 },
      window: { days: 20 },
    } as const;
    const profileId = await publishProfile(service, document, exact);
    const interactions = [];
    for (let index = 0; index < 40; index++) {
      for (let n = 0; n < index % 5; n++)
        interactions.push({
          id: `ex-${index}-${n}`,
          contactId: `ex-${index}`,
          type: (index + n) % 3 ? 'payment' : 'complaint',
          occurredAt: iso(T0 - ((index * 7 + n * 5) % 27) * DAY - n * 3600_000),
        });
    }
    await exact.post('/v1/interactions', { interactions });
    await exact.post('/v1/contacts/batch', {
      contacts: Array.from({ length: 10 }, (_, index) => ({ id: `ex-${index * 4}`, tags: ['partner'] })),
    });
    const version = (
      await service.database.db.query('SELECT p.live_version_id AS id, p.workspace_id AS w FROM profiles p WHERE p.id = $1', [profileId])
    ).rows[0];
    const model = new ScoreModel(compileProfile(document as unknown as ProfileDocument));
    for (const days of [1, 7, 30]) {
      const active = service.engine.activate((await watchedVersion(service.database.db, version.w, version.id))!);
      const corrections = await periodCorrections(service.database.db, version.w, active, T0, T0 - days * DAY);
      const rows = await scoresInPeriod(service.database.db, version.w, version.id, model, T0, T0 - days * DAY, corrections, {});
      // Every contact that exists: those with interactions and the partners tagged afterwards.
      expect(rows).toHaveLength(34);
      for (const row of rows) {
        const now = (await exact.get(`/v1/profiles/${profileId}/scores/${row.contactId}`)).body.score;
        const then = (await exact.get(`/v1/profiles/${profileId}/scores/${row.contactId}?asOf=${iso(T0 - days * DAY)}`)).body.score;
        expect([row.contactId, row.scoreNow]).toEqual([row.contactId, now]);
        expect([row.contactId, row.scoreThen]).toEqual([row.contactId, then]);
      }
    }
  });
});

describe('isolation and validation', () => {
  it('keeps every new endpoint inside its workspace', async () => {
    const stranger = service.as(await service.key('admin', 'stranger-network'));
    const ours = (await agent.get('/v1/profiles')).body.items[0].id;
    expect((await stranger.get('/v1/contacts/dana/relationships')).status).toBe(400);
    expect((await stranger.get(`/v1/contacts/dana/relationships?profileId=${ours}`)).status).toBe(404);
    expect((await stranger.get(`/v1/accounts/acme?profileId=${ours}`)).status).toBe(404);
    expect((await stranger.get(`/v1/accounts/acme/relationships?profileId=${ours}`)).status).toBe(404);
    expect((await stranger.get(`/v1/profiles/${ours}/insights`)).status).toBe(404);
    expect((await stranger.get('/v1/members/rep-a')).status).toBe(404);
    expect((await stranger.get('/v1/members')).body.items).toEqual([]);
    expect((await stranger.delete('/v1/members/rep-a')).status).toBe(404);
    expect((await agent.get('/v1/members/rep-a')).body.name).toBe('Alice Adams');
  });

  it('validates members and insights parameters', async () => {
    expect((await agent.put('/v1/members/rep-z', { name: 'Zed', email: 'not-an-email' })).status).toBe(400);
    expect((await agent.put('/v1/members/rep-z', { nickname: 'Z' })).status).toBe(400);
    const created = await agent.put('/v1/members/rep-z', { name: 'Zed' });
    expect(created.status).toBe(201);
    expect((await agent.put('/v1/members/rep-z', { email: 'zed@example.com' })).body).toMatchObject({
      name: 'Zed',
      email: 'zed@example.com',
    });
    const reader = service.as(await service.key('reader', 'network'));
    expect((await reader.put('/v1/members/rep-y', { name: 'Y' })).status).toBe(403);
    const ours = (await agent.get('/v1/profiles')).body.items[0].id;
    expect((await agent.get(`/v1/profiles/${ours}/insights?days=0`)).status).toBe(400);
    expect((await agent.get(`/v1/profiles/${ours}/insights?days=400`)).status).toBe(400);
  });
});
