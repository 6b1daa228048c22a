import { DAY, exampleProfile, pointsRule, publishProfile, typeIs } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const T0 = '2026-03-01T12:00:00.000Z';
const at = (days: number, hours = 0) => new Date(Date.parse(T0) + days * DAY + hours * 3_600_000).toISOString();

async function record(interactions: Record<string, unknown>[]) {
  const response = await service.admin.post('/v1/interactions', { interactions });
  expect(response.status).toBe(200);
  return response.body;
}

async function score(profileId: string, contactId: string, asOf?: string) {
  const response = await service.admin.get(`/v1/profiles/${profileId}/scores/${contactId}${asOf ? `?asOf=${asOf}` : ''}`);
  expect(response.status).toBe(200);
  return response.body;
}

const bands = [
  { name: 'Needs attention', min: 0, max: 40, color: '#d64545' },
  { name: 'Warm', min: 40, max: 70, color: '#e0a800' },
  { name: 'Healthy', min: 70, max: 100, color: '#2e9d5b' },
];

describe('points profiles without time', () => {
  let profileId: string;
  beforeAll(async () => {
    service.clock.set(at(0));
    profileId = await publishProfile(service, {
      name: 'Plain points',
      kind: 'points',
      rules: [
        pointsRule('Payment', 'payment', 10),
        pointsRule('Email open', 'email_open', 1, { count: 5, perDays: 1 }),
        pointsRule('Unsubscribe', 'unsubscribe', -15),
        {
          name: 'DND',
          conditions: { all: [{ fact: 'contact', path: '$.attributes.dndAll', operator: 'equal', value: true }] },
          event: { type: 'points', params: { points: -20 } },
        },
      ],
      range: { min: 0, max: 100 },
      bands,
    });
  });

  it('adds points per matching interaction and caps a limited rule, explaining both', async () => {
    await record([
      ...Array.from({ length: 7 }, (_, index) => ({
        id: `a-open-${index}`,
        contactId: 'a',
        type: 'email_open',
        occurredAt: at(0, -index - 1),
      })),
      { id: 'a-pay', contactId: 'a', type: 'payment', occurredAt: at(0, -1) },
    ]);
    const answer = await score(profileId, 'a');
    expect(answer).toMatchObject({
      contactId: 'a',
      profileId,
      version: 1,
      score: 15,
      band: { name: 'Needs attention', color: '#d64545' },
      clamp: null,
      next: null,
    });
    expect(answer.explanation).toEqual([
      { rule: 'Payment', kind: 'interaction', count: 1, points: 10 },
      { rule: 'Email open', kind: 'interaction', count: 5, points: 5, limited: 2 },
    ]);
  });

  it('subtracts for negative points and a state rule, clamps at the range and says so', async () => {
    await service.admin.put('/v1/contacts/b', { attributes: { dndAll: true } });
    await record([
      { id: 'b-pay', contactId: 'b', type: 'payment', occurredAt: at(0, -2) },
      { id: 'b-unsub', contactId: 'b', type: 'unsubscribe', occurredAt: at(0, -1) },
    ]);
    const answer = await score(profileId, 'b');
    expect(answer.score).toBe(0);
    expect(answer.clamp).toEqual({ applied: 'min', bound: 0, unclamped: -25 });
    expect(answer.explanation).toEqual([
      { rule: 'Payment', kind: 'interaction', count: 1, points: 10 },
      { rule: 'Unsubscribe', kind: 'interaction', count: 1, points: -15 },
      { rule: 'DND', kind: 'state', count: 1, points: -20 },
    ]);
    const sum = answer.explanation.reduce((total: number, line: { points: number }) => total + line.points, 0);
    expect(sum).toBe(-25);
  });

  it('applies a state rule while it holds and removes it when the contact changes', async () => {
    await record(
      Array.from({ length: 5 }, (_, index) => ({ id: `c-pay-${index}`, contactId: 'c', type: 'payment', occurredAt: at(0, -1) })),
    );
    expect((await score(profileId, 'c')).score).toBe(50);
    await service.admin.put('/v1/contacts/c', { attributes: { dndAll: true } });
    expect((await score(profileId, 'c')).score).toBe(30);
    await service.admin.put('/v1/contacts/c', { attributes: { dndAll: false } });
    expect((await score(profileId, 'c')).score).toBe(50);
    await service.admin.post('/v1/contacts/batch', { contacts: [{ id: 'c', attributes: { dndAll: true } }] });
    const answer = await score(profileId, 'c');
    expect(answer.score).toBe(30);
    expect(answer.explanation).toContainEqual({ rule: 'DND', kind: 'state', count: 1, points: -20 });
  });

  it('puts band edges where they belong: min inclusive, max exclusive, the top band includes the maximum', async () => {
    await record([
      ...Array.from({ length: 4 }, (_, index) => ({ id: `edge40-${index}`, contactId: 'edge40', type: 'payment', occurredAt: at(0, -1) })),
      ...Array.from({ length: 7 }, (_, index) => ({ id: `edge70-${index}`, contactId: 'edge70', type: 'payment', occurredAt: at(0, -1) })),
      ...Array.from({ length: 12 }, (_, index) => ({
        id: `edge100-${index}`,
        contactId: 'edge100',
        type: 'payment',
        occurredAt: at(0, -1),
      })),
      ...Array.from({ length: 3 }, (_, index) => ({ id: `edge30-${index}`, contactId: 'edge30', type: 'payment', occurredAt: at(0, -1) })),
    ]);
    expect((await score(profileId, 'edge30')).band.name).toBe('Needs attention');
    expect((await score(profileId, 'edge40')).band.name).toBe('Warm');
    expect((await score(profileId, 'edge70')).band.name).toBe('Healthy');
    const top = await score(profileId, 'edge100');
    expect(top).toMatchObject({ score: 100, band: { name: 'Healthy' }, clamp: { applied: 'max', bound: 100, unclamped: 120 } });
  });

  it('re-decides a limit when an interaction arrives out of order', async () => {
    const limited = await publishProfile(service, {
      name: 'Two a day',
      kind: 'points',
      rules: [pointsRule('Open', 'email_open', 1, { count: 2, perDays: 1 })],
    });
    await record([
      { id: 'lim-10', contactId: 'lim', type: 'email_open', occurredAt: at(0, -26) },
      { id: 'lim-11', contactId: 'lim', type: 'email_open', occurredAt: at(0, -25) },
      { id: 'lim-d1', contactId: 'lim', type: 'email_open', occurredAt: at(0, -3) },
    ]);
    // 26 h and 25 h ago count; 3 h ago falls within 24 h of both, so it does not.
    expect((await score(limited, 'lim')).explanation).toEqual([{ rule: 'Open', kind: 'interaction', count: 2, points: 2, limited: 1 }]);
    await record([{ id: 'lim-08', contactId: 'lim', type: 'email_open', occurredAt: at(0, -28) }]);
    // Now 28 h and 26 h ago count, 25 h ago does not, and 3 h ago does (only 26 h ago… no: 25 h is uncounted, 26 h is outside its day).
    const answer = await score(limited, 'lim');
    expect(answer.explanation).toEqual([{ rule: 'Open', kind: 'interaction', count: 3, points: 3, limited: 1 }]);
    expect(answer.score).toBe(3);
  });
});

describe('time: decay and window', () => {
  it('halves with each half-life, also read in the past with asOf', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, {
      name: 'Decay',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 16)],
      decay: { halfLifeDays: 10 },
    });
    await record([{ id: 'decay-1', contactId: 'decay', type: 'payment', occurredAt: at(0) }]);
    expect((await score(profileId, 'decay')).score).toBe(16);
    service.clock.set(at(10));
    expect((await score(profileId, 'decay')).score).toBe(8);
    service.clock.set(at(20));
    const later = await score(profileId, 'decay');
    expect(later.score).toBe(4);
    expect(later.trend).toEqual({ delta7d: -2.5, delta30d: 4 }); // 7 days before: 16 · 2^−1.3 = 6.50
    expect(later.explanation).toEqual([{ rule: 'Payment', kind: 'interaction', count: 1, points: 4 }]);
    expect((await score(profileId, 'decay', at(10))).score).toBe(8);
    expect((await score(profileId, 'decay', at(-1))).score).toBe(0);
  });

  it('drops a contribution when it leaves the window', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, {
      name: 'Window',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 10), pointsRule('Call', 'call', 5)],
      window: { days: 30 },
    });
    await record([{ id: 'win-1', contactId: 'win', type: 'payment', occurredAt: at(0) }]);
    service.clock.set(at(20));
    await record([{ id: 'win-2', contactId: 'win', type: 'call', occurredAt: at(20) }]);
    service.clock.set(at(30, -0.001));
    expect((await score(profileId, 'win')).score).toBe(15);
    service.clock.set(at(30));
    const answer = await score(profileId, 'win');
    expect(answer.score).toBe(5);
    expect(answer.explanation).toEqual([{ rule: 'Call', kind: 'interaction', count: 1, points: 5 }]);
  });

  it('combines decay and window', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, {
      name: 'Both',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 16), pointsRule('Call', 'call', 8)],
      decay: { halfLifeDays: 10 },
      window: { days: 25 },
    });
    await record([{ id: 'both-1', contactId: 'both', type: 'payment', occurredAt: at(0) }]);
    service.clock.set(at(10));
    await record([{ id: 'both-2', contactId: 'both', type: 'call', occurredAt: at(10) }]);
    service.clock.set(at(20));
    expect((await score(profileId, 'both')).score).toBe(8);
    service.clock.set(at(25));
    expect((await score(profileId, 'both')).score).toBe(2.83); // 8 · 2^−1.5
  });

  it('says when time alone will next cross a band edge', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, {
      name: 'Next',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 80)],
      decay: { halfLifeDays: 10 },
      range: { min: 0, max: 100 },
      bands,
    });
    await record([{ id: 'next-1', contactId: 'next', type: 'payment', occurredAt: at(0) }]);
    const answer = await score(profileId, 'next');
    expect(answer.score).toBe(80);
    expect(answer.next.threshold).toBe(70);
    expect(answer.next.direction).toBe('down');
    // 80 · 2^(−t/10) falls under 69.995 (shown 70.00 → 69.99) at t = 10 · log2(80 / 69.995) days.
    expect(Date.parse(answer.next.at)).toBeCloseTo(Date.parse(at(0)) + 10 * Math.log2(80 / 69.995) * DAY, -3);
    service.clock.set(answer.next.at);
    expect((await score(profileId, 'next')).score).toBe(69.99);
  });

  it('gives a history series from the ledger', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, {
      name: 'History',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 16)],
      decay: { halfLifeDays: 7 },
    });
    await record([{ id: 'hist-1', contactId: 'hist', type: 'payment', occurredAt: at(0) }]);
    service.clock.set(at(21));
    const daily = await service.admin.get(`/v1/profiles/${profileId}/scores/hist/history?from=${at(-1)}&to=${at(14)}&interval=day`);
    expect(daily.status).toBe(200);
    expect(daily.body.points).toHaveLength(16);
    expect(daily.body.points[0]).toEqual({ at: at(-1), score: 0, band: null });
    expect(daily.body.points[1].score).toBe(16);
    expect(daily.body.points[8].score).toBe(8);
    expect(daily.body.points[15].score).toBe(4);
    const weekly = await service.admin.get(`/v1/profiles/${profileId}/scores/hist/history?interval=week`);
    expect(weekly.body.points).toHaveLength(27);
    expect(weekly.body.points[26]).toMatchObject({ at: at(21), score: 2 });
    expect((await service.admin.get(`/v1/profiles/${profileId}/scores/hist/history?from=${at(5)}&to=${at(1)}`)).status).toBe(400);
  });
});

describe('relationship and manual profiles', () => {
  it('maps weighted, decayed interactions through the saturation curve', async () => {
    service.clock.set(at(0));
    // The curve from a single meeting: without the example's minimum of 2 interactions (test/service/min-interactions.test.ts).
    const profileId = await publishProfile(service, { ...exampleProfile('relationship-strength'), minInteractions: 0 });
    await record([{ id: 'rel-1', contactId: 'rel', type: 'meeting', occurredAt: at(0), actorId: 'rep-1' }]);
    const answer = await score(profileId, 'rel');
    expect(answer.score).toBe(39.35); // 100 · (1 − e^(−10/20))
    expect(answer.band.name).toBe('Warm');
    await record([
      { id: 'rel-2', contactId: 'rel', type: 'call', occurredAt: at(0), actorId: 'rep-2' },
      { id: 'rel-3', contactId: 'rel', type: 'email', occurredAt: at(0), actorId: 'rep-1' },
    ]);
    const stronger = await score(profileId, 'rel');
    expect(stronger.score).toBe(66.71); // R = 22 → 100 · (1 − e^(−1.1))
    expect(stronger.explanation.reduce((sum: number, line: { points: number }) => sum + line.points, 0)).toBeCloseTo(66.71, 10);
    service.clock.set(at(30));
    expect((await score(profileId, 'rel')).score).toBe(42.31); // R = 11
  });

  it('lets a manual score change only through adjustments, each in the explanation with who and why', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, exampleProfile('likelihood-to-renew'));
    await service.admin.put('/v1/contacts/renewal', { name: 'Renewal' });
    expect((await score(profileId, 'renewal')).score).toBe(0);
    const set = await service.admin.post(`/v1/profiles/${profileId}/scores/renewal/adjustments`, { set: 80, reason: 'QBR went well' });
    expect(set.status).toBe(201);
    expect(set.body).toMatchObject({ score: 80, band: { name: 'Likely' } });
    service.clock.set(at(1));
    const lowered = await service.admin.post(`/v1/profiles/${profileId}/scores/renewal/adjustments`, {
      delta: -7.5,
      reason: 'Champion left',
    });
    expect(lowered.body.score).toBe(72.5);
    expect(lowered.body.explanation).toEqual([
      {
        rule: 'Adjustment: QBR went well',
        kind: 'adjustment',
        count: 1,
        points: 80,
        at: at(0),
        by: 'admin test key',
        reason: 'QBR went well',
      },
      {
        rule: 'Adjustment: Champion left',
        kind: 'adjustment',
        count: 1,
        points: -7.5,
        at: at(1),
        by: 'admin test key',
        reason: 'Champion left',
      },
    ]);
    const reset = await service.admin.post(`/v1/profiles/${profileId}/scores/renewal/adjustments`, { set: 150, reason: 'Signed early' });
    expect(reset.body).toMatchObject({ score: 100, clamp: { applied: 'max', bound: 100, unclamped: 150 } });
  });

  it('adjusts points and relationship scores too', async () => {
    service.clock.set(at(0));
    const points = await publishProfile(service, {
      name: 'Adjustable',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 10)],
      decay: { halfLifeDays: 10 },
    });
    await record([{ id: 'adj-1', contactId: 'adj', type: 'payment', occurredAt: at(0) }]);
    const set = await service.admin.post(`/v1/profiles/${points}/scores/adj/adjustments`, { set: 30, reason: 'Hot lead' });
    expect(set.body.score).toBe(30);
    service.clock.set(at(10));
    expect((await score(points, 'adj')).score).toBe(15);

    // A contact with no matching interaction: without the example's minimum of 2 it has a score to adjust.
    const relationship = await publishProfile(service, { ...exampleProfile('relationship-strength'), minInteractions: 0 });
    const up = await service.admin.post(`/v1/profiles/${relationship}/scores/adj/adjustments`, {
      delta: 25,
      reason: 'Met at a conference',
    });
    expect(up.body.score).toBe(25);
    const exact = await service.admin.post(`/v1/profiles/${relationship}/scores/adj/adjustments`, { set: 60, reason: 'Calibrated' });
    expect(exact.body.score).toBe(60);
  });

  it('validates adjustments', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, exampleProfile('likelihood-to-renew'));
    await service.admin.put('/v1/contacts/val', {});
    for (const [body, path] of [
      [{ reason: 'x' }, 'delta'],
      [{ delta: 1, set: 2, reason: 'x' }, 'delta'],
      [{ delta: 1 }, 'reason'],
      [{ delta: 'one', reason: 'x' }, 'delta'],
    ] as const) {
      const response = await service.admin.post(`/v1/profiles/${profileId}/scores/val/adjustments`, body);
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
    expect((await service.admin.post(`/v1/profiles/${profileId}/scores/nobody/adjustments`, { delta: 1, reason: 'x' })).status).toBe(404);
    const reader = service.as(await service.key('reader'));
    expect((await reader.post(`/v1/profiles/${profileId}/scores/val/adjustments`, { delta: 1, reason: 'x' })).status).toBe(403);
  });
});

describe('the example engagement profile', () => {
  it('scores a realistic mix', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, exampleProfile('engagement-highlevel'));
    await record([
      { id: 'hl-1', contactId: 'hl', type: 'email_open', occurredAt: at(-1) },
      { id: 'hl-2', contactId: 'hl', type: 'appointment', occurredAt: at(-1) },
      { id: 'hl-3', contactId: 'hl', type: 'form_submission', occurredAt: at(-1) },
      { id: 'hl-4', contactId: 'hl', type: 'payment', occurredAt: at(-1), properties: { amount: 1500 } },
    ]);
    const answer = await score(profileId, 'hl');
    // (1 + 10 + 5 + 15 + 10) · 2^(−1/30)
    expect(answer.score).toBeCloseTo(41 * 2 ** (-1 / 30), 2);
    expect(answer.band.name).toBe('Warm');
    expect(answer.explanation.map((line: { rule: string }) => line.rule)).toEqual([
      'Email opened',
      'Appointment booked',
      'Form submitted',
      'Payment',
      'Large payment',
    ]);
  });
});

describe('awkward ids', () => {
  it('scores contacts and team members whose ids hold tabs, newlines and backslashes', async () => {
    service.clock.set(at(0));
    const profileId = await publishProfile(service, { name: 'Awkward', kind: 'points', rules: [pointsRule('Call', 'call', 3)] });
    const contactId = 'crm\\42\tTab\nLine\\N';
    await record([{ id: 'awk-1', contactId, type: 'call', actorId: 'rep\t\\1', occurredAt: at(0) }]);
    const answer = await score(profileId, encodeURIComponent(contactId));
    expect(answer).toMatchObject({ contactId, score: 3 });
    // Both COPY paths (the accepted batch, the anchors) keep the ids byte for byte.
    const { rows } = await service.database.db.query(
      'SELECT DISTINCT i.contact_id, i.actor_id, s.contact_id IS NOT NULL AS scored FROM interactions i LEFT JOIN scores s ON s.contact_id = i.contact_id WHERE i.contact_id = $1',
      [contactId],
    );
    expect(rows).toEqual([{ contact_id: contactId, actor_id: 'rep\t\\1', scored: true }]);
  });
});

describe('several profiles at once', () => {
  it('gives every contact a score in each published profile', async () => {
    const contact = await service.admin.get('/v1/contacts/a');
    const live = (await service.admin.get('/v1/profiles')).body.items.filter(
      (profile: { status: string }) => profile.status === 'published',
    );
    expect(live.length).toBeGreaterThan(5);
    expect(contact.body.scores.map((entry: { profileId: string }) => entry.profileId).sort()).toEqual(
      live.map((profile: { id: string }) => profile.id).sort(),
    );
    const plain = contact.body.scores.find((entry: { profileName: string }) => entry.profileName === 'Plain points');
    expect(plain).toMatchObject({ version: 1, score: 15, band: { name: 'Needs attention' } });
  });
});

describe('unknown things', () => {
  it('answers 404 for an unknown profile or contact and 409 for an unpublished profile', async () => {
    const draft = await service.admin.post('/v1/profiles', { name: 'Draft only', kind: 'points', rules: [pointsRule('Call', 'call', 1)] });
    expect((await service.admin.get(`/v1/profiles/${draft.body.id}/scores/a`)).status).toBe(409);
    expect((await service.admin.get('/v1/profiles/00000000-0000-4000-8000-000000000000/scores/a')).status).toBe(404);
    const published = await publishProfile(service, {
      name: 'Published',
      kind: 'points',
      rules: [{ name: 'Any', conditions: typeIs('call'), event: { type: 'points', params: { points: 1 } } }],
    });
    expect((await service.admin.get(`/v1/profiles/${published}/scores/nobody-here`)).status).toBe(404);
    const other = service.as(await service.key('admin', 'other'));
    expect((await other.get(`/v1/profiles/${published}/scores/a`)).status).toBe(404);
  });
});
