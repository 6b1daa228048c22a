import fc from 'fast-check';
import { DAY, exampleProfile, pointsRule, publishProfile, republish } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * Minimum evidence (issue 16): under a profile's minInteractions a contact has no score until it has
 * that many matching interactions in the window — null with the reason in answers, left out of lists,
 * filters, sorts, insights, roll-ups and crossings; the first qualifying interaction enters it with
 * one crossing from "no score"; expiries take it out again, silently.
 */

let service: TestService;
const T0 = Date.parse('2026-07-01T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const bands = [
  { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
  { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
  { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
];

/** Payments 50, calls 10 (one per 30 days counts), opens 0; no decay, so scores are whole numbers; 30-day window. */
const document = {
  name: 'Evidence',
  kind: 'points',
  rules: [pointsRule('Payment', 'payment', 50), pointsRule('Call', 'call', 10, { count: 1, perDays: 30 }), pointsRule('Open', 'open', 0)],
  window: { days: 30 },
  range: { min: 0, max: 100 },
  bands,
  minInteractions: 2,
};

beforeAll(async () => {
  service = await startTestService();
  service.clock.set(iso(T0));
});
afterAll(() => service.close());

/** A workspace of its own per test, with the profile published in it. */
async function workspace(name: string, profile: Record<string, unknown> = document): Promise<{ agent: AuthedAgent; profileId: string }> {
  const agent = service.as(await service.key('admin', name));
  return { agent, profileId: await publishProfile(service, profile, agent) };
}

async function record(agent: AuthedAgent, ...interactions: { id: string; contactId: string; type: string; occurredAt?: string }[]) {
  const response = await agent.post('/v1/interactions', { interactions });
  expect(response.status).toBe(200);
}

async function score(agent: AuthedAgent, profileId: string, contactId: string) {
  const response = await agent.get(`/v1/profiles/${profileId}/scores/${contactId}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function listed(agent: AuthedAgent, query: string): Promise<string[]> {
  const response = await agent.get(`/v1/contacts?${query}&limit=1000`);
  expect(response.status).toBe(200);
  return response.body.items.map((item: { id: string }) => item.id);
}

/** What the scores table says of a contact under the profile's live version. */
async function stored(profileId: string, contactId: string): Promise<{ qualified: boolean; evidence: number | null }> {
  const { rows } = await service.database.db.query<{ qualified: boolean; evidence: number | null }>(
    `SELECT s.qualified, s.evidence FROM scores s JOIN profiles p ON p.workspace_id = s.workspace_id AND p.live_version_id = s.version_id
      WHERE p.id = $1 AND s.contact_id = $2`,
    [profileId, contactId],
  );
  return rows[0];
}

describe('the profile option', () => {
  it('is validated and documented in the JSON Schema', async () => {
    const agent = service.as(await service.key('admin', 'validation'));
    for (const value of [-1, 1.5, '2', 1001]) {
      const response = await agent.post('/v1/profiles/validate', { ...document, minInteractions: value });
      expect([value, response.body.valid]).toEqual([value, false]);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain('minInteractions');
    }
    const manual = await agent.post('/v1/profiles/validate', { name: 'M', kind: 'manual', minInteractions: 1 });
    expect(manual.body.errors).toEqual([expect.objectContaining({ path: 'minInteractions' })]);
    expect((await agent.post('/v1/profiles/validate', { ...document, minInteractions: 0 })).body.valid).toBe(true);
    const schema = (await agent.get('/v1/schemas/profile.json')).body;
    expect(schema.properties.minInteractions).toMatchObject({
      type: 'integer',
      minimum: 0,
      description: expect.stringContaining('limited'),
    });
  });

  it('is set to 2 in the example relationship profile, as NexaLink does', async () => {
    const { agent, profileId } = await workspace('example', exampleProfile('relationship-strength'));
    await record(agent, { id: 'ex-1', contactId: 'ada', type: 'email', occurredAt: iso(T0) });
    expect(await score(agent, profileId, 'ada')).toMatchObject({ score: null, evidence: { interactions: 1, required: 2 } });
    await record(agent, { id: 'ex-2', contactId: 'ada', type: 'meeting', occurredAt: iso(T0) });
    // R = 5 + 10: 100 · (1 − e^(−15/20)).
    expect(await score(agent, profileId, 'ada')).toMatchObject({ score: 52.76, evidence: { interactions: 2, required: 2 } });
  });

  it('at 0 (the default) scores a single interaction and says nothing of evidence', async () => {
    const { agent, profileId } = await workspace('zero', { ...document, minInteractions: 0 });
    await record(agent, { id: 'z-1', contactId: 'zoe', type: 'payment', occurredAt: iso(T0) });
    const answer = await score(agent, profileId, 'zoe');
    expect(answer.score).toBe(50);
    expect(answer).not.toHaveProperty('evidence');
    expect(answer).not.toHaveProperty('reason');
    expect(await listed(agent, `profileId=${profileId}&minScore=0`)).toEqual(['zoe']);
    expect(await stored(profileId, 'zoe')).toEqual({ qualified: true, evidence: null });
  });
});

describe('below minInteractions', () => {
  it('answers a null score with the reason and the evidence, everywhere a current score is shown', async () => {
    const { agent, profileId } = await workspace('answers');
    await record(agent, { id: 'a-1', contactId: 'one', type: 'payment', occurredAt: iso(T0) });
    const answer = await score(agent, profileId, 'one');
    expect(answer).toMatchObject({
      score: null,
      reason: 'fewer than 2 interactions',
      evidence: { interactions: 1, required: 2 },
      band: null,
      trend: { delta7d: null, delta30d: null },
      next: null,
      clamp: null,
      suggestions: [],
    });
    // The explanation still shows what it has.
    expect(answer.explanation).toEqual([{ rule: 'Payment', kind: 'interaction', count: 1, points: 50 }]);
    const contact = (await agent.get('/v1/contacts/one')).body;
    expect(contact.scores).toEqual([
      expect.objectContaining({
        profileId,
        score: null,
        band: null,
        reason: 'fewer than 2 interactions',
        evidence: { interactions: 1, required: 2 },
      }),
    ]);
    expect(await stored(profileId, 'one')).toEqual({ qualified: false, evidence: 1 });
  });

  it('counts an interaction once whatever rules it matches, and counts matches a limit stopped', async () => {
    const { agent, profileId } = await workspace('limits');
    await record(
      agent,
      { id: 'l-1', contactId: 'lim', type: 'call', occurredAt: iso(T0 - DAY) },
      { id: 'l-2', contactId: 'lim', type: 'call', occurredAt: iso(T0) },
    );
    const answer = await score(agent, profileId, 'lim');
    // The second call did not count (limit 1 per 30 days) but it matched.
    expect(answer).toMatchObject({ score: 10, band: { name: 'Needs attention' }, evidence: { interactions: 2, required: 2 } });
    expect(answer.explanation).toEqual([{ rule: 'Call', kind: 'interaction', count: 1, limited: 1, points: 10 }]);
    // An interaction no rule matches is no evidence.
    await record(agent, { id: 'l-3', contactId: 'other', type: 'payment' }, { id: 'l-4', contactId: 'other', type: 'note' });
    expect(await score(agent, profileId, 'other')).toMatchObject({ score: null, evidence: { interactions: 1, required: 2 } });
  });

  it('leaves the contact out of filters, sorts, lists, insights and account roll-ups', async () => {
    const { agent, profileId } = await workspace('lists');
    await agent.post('/v1/contacts/batch', {
      contacts: [
        { id: 'one', accountId: 'acme', tags: ['vip'] },
        { id: 'two', accountId: 'acme' },
        { id: 'low', accountId: 'solo' },
      ],
    });
    await record(
      agent,
      { id: 's-1', contactId: 'one', type: 'payment', occurredAt: iso(T0) },
      { id: 's-2', contactId: 'two', type: 'payment', occurredAt: iso(T0) },
      { id: 's-3', contactId: 'two', type: 'open', occurredAt: iso(T0) },
      { id: 's-4', contactId: 'low', type: 'call', occurredAt: iso(T0) },
      { id: 's-5', contactId: 'low', type: 'open', occurredAt: iso(T0) },
    );
    // one: a payment alone (50, no score); two: 50; low: 10.
    expect(await listed(agent, `profileId=${profileId}`)).toEqual(['two', 'low']);
    expect(await listed(agent, `profileId=${profileId}&sort=score`)).toEqual(['low', 'two']);
    expect(await listed(agent, `profileId=${profileId}&sort=id`)).toEqual(['low', 'two']);
    expect(await listed(agent, `profileId=${profileId}&minScore=0`)).toEqual(['two', 'low']);
    expect(await listed(agent, `profileId=${profileId}&minScore=40&maxScore=60`)).toEqual(['two']);
    expect(await listed(agent, `profileId=${profileId}&band=Warm&sort=id`)).toEqual(['two']);
    expect(await listed(agent, `profileId=${profileId}&maxScore=60&sort=lastInteractionAt`)).toEqual(['low', 'two']);
    // Without a profile, every contact is listed.
    expect(await listed(agent, 'sort=id')).toEqual(['low', 'one', 'two']);

    const review = (await agent.get(`/v1/profiles/${profileId}/insights?days=7`)).body;
    expect(review.contacts).toBe(2);
    expect(review.distribution.map((band: { count: number; previousCount: number }) => [band.count, band.previousCount])).toEqual([
      [1, 0],
      [1, 0],
      [0, 0],
    ]);
    expect(review.averageScore).toBe(30);
    expect(review.needsAttention.map((item: { contactId: string }) => item.contactId)).toEqual(['low']);
    expect(review.risers.map((item: { contactId: string }) => item.contactId)).toEqual([]);

    const account = (await agent.get(`/v1/accounts/acme?profileId=${profileId}`)).body;
    expect(account).toMatchObject({ accountId: 'acme', contacts: 1, score: 50 });
    const people = (await agent.get(`/v1/accounts/acme/relationships?profileId=${profileId}`)).body;
    expect(people.items.map((item: { contactId: string }) => item.contactId)).toEqual(['two']);
    // An account whose contacts have no score yet is there, without a score.
    await record(agent, { id: 's-6', contactId: 'newbie', type: 'payment', occurredAt: iso(T0) });
    await agent.put('/v1/contacts/newbie', { accountId: 'fresh' });
    expect((await agent.get(`/v1/accounts/fresh?profileId=${profileId}`)).body).toMatchObject({ contacts: 0, score: null });
    expect((await agent.get(`/v1/accounts/nobody?profileId=${profileId}`)).status).toBe(404);

    // A week later, one has qualified: it is counted now, and not then (it had no score then).
    service.clock.set(iso(T0 + 7 * DAY));
    await record(agent, { id: 's-7', contactId: 'one', type: 'call', occurredAt: iso(T0 + 7 * DAY) });
    const later = (await agent.get(`/v1/profiles/${profileId}/insights?days=7`)).body;
    expect(later.contacts).toBe(3);
    // Then (T0): two and low had their scores, one had none.
    expect(later.distribution.map((band: { count: number; previousCount: number }) => [band.count, band.previousCount])).toEqual([
      [1, 1],
      [2, 1],
      [0, 0],
    ]);
    expect(later.averageScore).toBe(40);
    expect(later.previousAverageScore).toBe(30);
    expect((await agent.get(`/v1/accounts/acme?profileId=${profileId}`)).body).toMatchObject({ contacts: 2, score: 56.67 }); // (60·2 + 50)/3
    service.clock.set(iso(T0));
  });
});

describe('crossings', () => {
  it('fire for nothing below minInteractions, then once from "no score" at the qualifying interaction', async () => {
    const { agent, profileId } = await workspace('crossings');
    const receiver = await startReceiver();
    try {
      for (const body of [
        { event: 'score.rose_above', threshold: 40 },
        { event: 'score.crossed', threshold: 5 },
        { event: 'band.changed' },
      ]) {
        expect((await agent.post('/v1/subscriptions', { profileId, url: receiver.url, ...body })).status).toBe(201);
        await service.runJobs();
      }
      service.clock.set(iso(T0 + DAY));
      await record(agent, { id: 'c-1', contactId: 'eve', type: 'payment', occurredAt: iso(T0) });
      await record(agent, { id: 'c-2', contactId: 'eve', type: 'note', occurredAt: iso(T0) });
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toEqual([]);
      expect(await score(agent, profileId, 'eve')).toMatchObject({ score: null });

      // Another contact: a payment is silent (no score yet); an open (0 points) enters it at 50.
      const received = T0 + 2 * DAY;
      service.clock.set(iso(received));
      await record(agent, { id: 'c-3', contactId: 'max', type: 'payment', occurredAt: iso(T0 + DAY) });
      await service.dispatcher().drain();
      expect(receiver.received).toEqual([]);
      service.clock.set(iso(received + 3_600_000));
      await record(agent, { id: 'c-4', contactId: 'max', type: 'open', occurredAt: iso(received) });
      await service.dispatcher().drain();
      const events = receiver.received.map((request) => request.body);
      expect(
        events.map((event) => [event.type, event.threshold, event.previousScore, event.score, event.occurredAt, event.cause]).sort(),
      ).toEqual(
        [
          ['band.changed', null, 0, 50, iso(received + 3_600_000), 'interaction'],
          ['score.crossed', 5, 0, 50, iso(received + 3_600_000), 'interaction'],
          ['score.rose_above', 40, 0, 50, iso(received + 3_600_000), 'interaction'],
        ].sort(),
      );
      expect(events.find((event) => event.type === 'band.changed')).toMatchObject({
        previousBand: { name: 'Needs attention' },
        band: { name: 'Warm' },
      });
      // Once: more interactions and time steps add nothing.
      await record(agent, { id: 'c-5', contactId: 'max', type: 'open', occurredAt: iso(received) });
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(3);
    } finally {
      await receiver.close();
      service.clock.set(iso(T0));
    }
  });

  it('go silent when expiries take the contact back below minInteractions, which leaves lists at once', async () => {
    const { agent, profileId } = await workspace('expiry');
    const receiver = await startReceiver();
    try {
      for (const body of [
        { event: 'score.dropped_below', threshold: 60 },
        { event: 'score.crossed', threshold: 5 },
        { event: 'band.changed' },
      ]) {
        expect((await agent.post('/v1/subscriptions', { profileId, url: receiver.url, ...body })).status).toBe(201);
        await service.runJobs();
      }
      // An open (0 points) at T0 and a payment at T0 + 5 days: 50, with a score. The open leaves the
      // window at T0 + 30 days: the score goes away then, although no point leaves with it.
      service.clock.set(iso(T0 + 5 * DAY));
      await record(
        agent,
        { id: 'e-1', contactId: 'gus', type: 'open', occurredAt: iso(T0) },
        { id: 'e-2', contactId: 'gus', type: 'payment', occurredAt: iso(T0 + 5 * DAY) },
      );
      // And two payments: 100 until the first leaves (a 50-point drop across 60 that nobody hears of).
      await record(
        agent,
        { id: 'e-3', contactId: 'hal', type: 'payment', occurredAt: iso(T0) },
        { id: 'e-4', contactId: 'hal', type: 'payment', occurredAt: iso(T0 + 5 * DAY) },
      );
      await service.dispatcher().drain();
      const entered = receiver.received.length;
      expect(entered).toBeGreaterThan(0);
      expect(await listed(agent, `profileId=${profileId}`)).toEqual(['hal', 'gus']);

      // Just before: still there. Then, without a time step, a list brings the anchors up to date first.
      service.clock.set(iso(T0 + 30 * DAY - 1));
      expect(await listed(agent, `profileId=${profileId}&minScore=0`)).toEqual(['hal', 'gus']);
      service.clock.set(iso(T0 + 30 * DAY));
      expect(await listed(agent, `profileId=${profileId}&minScore=0`)).toEqual([]);
      expect(await listed(agent, `profileId=${profileId}&sort=score`)).toEqual([]);
      expect(await score(agent, profileId, 'gus')).toMatchObject({ score: null, evidence: { interactions: 1, required: 2 } });
      expect(await score(agent, profileId, 'hal')).toMatchObject({ score: null, evidence: { interactions: 1, required: 2 } });
      expect(await stored(profileId, 'gus')).toEqual({ qualified: false, evidence: 1 });
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(receiver.received).toHaveLength(entered);
      expect((await agent.get(`/v1/profiles/${profileId}/insights?days=7`)).body).toMatchObject({ contacts: 0, needsAttention: [] });

      // A new payment gives gus its score again: it enters from "no score" once more.
      await record(agent, { id: 'e-5', contactId: 'gus', type: 'payment', occurredAt: iso(T0 + 30 * DAY) });
      await service.dispatcher().drain();
      const again = receiver.received.slice(entered).map((request) => [request.body.type, request.body.previousScore, request.body.score]);
      expect(again.sort()).toEqual(
        [
          ['band.changed', 0, 100],
          ['score.crossed', 0, 100],
        ].sort(),
      );
    } finally {
      await receiver.close();
      service.clock.set(iso(T0));
    }
  });

  it('enter at the moment a future-dated interaction comes due, when time alone qualifies the contact', async () => {
    const { agent, profileId } = await workspace('future');
    const receiver = await startReceiver();
    try {
      expect(
        (await agent.post('/v1/subscriptions', { profileId, url: receiver.url, event: 'score.rose_above', threshold: 40 })).status,
      ).toBe(201);
      await service.runJobs();
      // Dated 4 minutes after it is received (up to 5 are accepted): scored at once, counted when it comes due.
      await record(
        agent,
        { id: 'f-1', contactId: 'ivy', type: 'payment', occurredAt: iso(T0) },
        { id: 'f-2', contactId: 'ivy', type: 'payment', occurredAt: iso(T0 + 4 * 60_000) },
      );
      await service.dispatcher().drain();
      expect(receiver.received).toEqual([]);
      expect(await score(agent, profileId, 'ivy')).toMatchObject({ score: null, evidence: { interactions: 1, required: 2 } });
      // Ten minutes later, after a downtime: the crossing reports its true moment.
      service.clock.set(iso(T0 + 10 * 60_000));
      await service.runScheduler();
      await service.dispatcher().drain();
      expect(
        receiver.received.map((request) => [request.body.previousScore, request.body.score, request.body.occurredAt, request.body.cause]),
      ).toEqual([[0, 100, iso(T0 + 4 * 60_000), 'time']]);
    } finally {
      await receiver.close();
      service.clock.set(iso(T0));
    }
  });
});

describe('scores built step by step equal scores computed from scratch', () => {
  type Op =
    | { kind: 'interaction'; contact: number; type: 'payment' | 'call' | 'open' | 'note'; ageHours: number }
    | { kind: 'advance'; hours: number }
    | { kind: 'time' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('interaction' as const),
        contact: fc.integer({ min: 0, max: 2 }),
        type: fc.constantFrom('payment' as const, 'call' as const, 'open' as const, 'note' as const),
        ageHours: fc.integer({ min: 0, max: 24 * 40 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 24 * 20 }) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'time' as const }) },
  );
  const profiles = {
    window: { ...document, decay: { halfLifeDays: 10 }, minInteractions: 3 },
    allTime: { ...document, window: undefined, minInteractions: 3 },
  };
  let run = 0;

  for (const [name, profile] of Object.entries(profiles))
    it(`with a ${name === 'window' ? 'window and decay' : 'profile without a window'}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 14 }), async (ops) => {
          run++;
          service.clock.set(iso(T0));
          const { agent, profileId } = await workspace(`prop-${run}`, profile);
          const ids = ['a', 'b', 'c'];
          let sequence = 0;
          for (const step of ops) {
            if (step.kind === 'interaction') {
              const occurredAt = iso(service.clock.now().getTime() - step.ageHours * 3_600_000);
              await record(agent, { id: `p-${sequence++}`, contactId: ids[step.contact], type: step.type, occurredAt });
            } else if (step.kind === 'advance') {
              service.clock.advance(step.hours * 3_600_000);
            } else {
              await service.runScheduler();
            }
          }
          await service.runScheduler();
          const snapshot = async () => {
            const result: unknown[] = [];
            for (const id of ids) {
              const response = await agent.get(`/v1/profiles/${profileId}/scores/${id}`);
              if (response.status === 404) continue;
              const answer = response.body;
              // (The stored count is the one at the anchor's moment, which an expiry that changes nothing leaves as it was.)
              result.push([id, answer.score, answer.evidence, answer.explanation, (await stored(profileId, id)).qualified]);
            }
            result.push(await listed(agent, `profileId=${profileId}&sort=score`));
            return result;
          };
          const built = await snapshot();
          await republish(service, profileId, agent);
          expect(await snapshot()).toEqual(built);
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 8) },
      );
      service.clock.set(iso(T0));
    }, 180_000);
});
