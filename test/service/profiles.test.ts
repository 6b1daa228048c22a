import { DAY, exampleProfile, pointsRule, publishProfile, republish, typeIs } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
  service.clock.set('2026-04-01T10:00:00Z');
});
afterAll(() => service.close());

const base = { name: 'Valid', kind: 'points', rules: [pointsRule('Call', 'call', 5)] };

describe('profile validation', () => {
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ['an unknown top-level field', { ...base, colour: 'red' }, 'colour'],
    ['an unknown kind', { ...base, kind: 'magic' }, 'kind'],
    [
      'a rule that is not a json-rules-engine rule',
      {
        ...base,
        rules: [
          { name: 'x', conditions: { fact: 'interaction', operator: 'equal', value: 1 }, event: { type: 'points', params: { points: 1 } } },
        ],
      },
      'rules.0.conditions',
      /top level/,
    ],
    [
      'an unknown operator',
      {
        ...base,
        rules: [
          {
            ...pointsRule('x', 'call', 1),
            conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'equalz', value: 'call' }] },
          },
        ],
      },
      'rules.0.conditions.all.0.operator',
      /unknown operator/,
    ],
    [
      'an unknown decorator',
      {
        ...base,
        rules: [
          {
            ...pointsRule('x', 'call', 1),
            conditions: { all: [{ fact: 'interaction', path: '$.tags', operator: 'sometimes:equal', value: 'a' }] },
          },
        ],
      },
      'rules.0.conditions.all.0.operator',
    ],
    [
      'an unknown fact',
      { ...base, rules: [{ ...pointsRule('x', 'call', 1), conditions: { all: [{ fact: 'weather', operator: 'equal', value: 'rain' }] } }] },
      'rules.0.conditions.all.0.fact',
      /unknown fact/,
    ],
    [
      'a JSONPath filter',
      {
        ...base,
        rules: [
          {
            ...pointsRule('x', 'call', 1),
            conditions: { all: [{ fact: 'interaction', path: '$.properties[?(@.a)]', operator: 'equal', value: 1 }] },
          },
        ],
      },
      'rules.0.conditions.all.0.path',
      /plain property paths/,
    ],
    [
      'a JSONPath script',
      {
        ...base,
        rules: [
          { ...pointsRule('x', 'call', 1), conditions: { all: [{ fact: 'interaction', path: '$..type', operator: 'equal', value: 1 }] } },
        ],
      },
      'rules.0.conditions.all.0.path',
    ],
    [
      'a path without $',
      {
        ...base,
        rules: [
          { ...pointsRule('x', 'call', 1), conditions: { all: [{ fact: 'interaction', path: 'type', operator: 'equal', value: 1 }] } },
        ],
      },
      'rules.0.conditions.all.0.path',
    ],
    [
      'a missing named condition',
      { ...base, rules: [{ ...pointsRule('x', 'call', 1), conditions: { condition: 'nowhere' } }] },
      'rules.0.conditions.condition',
    ],
    [
      'a named condition referring to itself',
      {
        ...base,
        conditions: { loop: { all: [{ condition: 'loop' }] } },
        rules: [{ ...pointsRule('x', 'call', 1), conditions: { condition: 'loop' } }],
      },
      'conditions.loop.all.0.condition',
      /itself/,
    ],
    [
      '"in" with a non-list value',
      {
        ...base,
        rules: [
          { ...pointsRule('x', 'call', 1), conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'in', value: 5 }] } },
        ],
      },
      'rules.0.conditions.all.0.value',
    ],
    [
      'overlapping bands',
      {
        ...base,
        range: { min: 0, max: 100 },
        bands: [
          { name: 'A', min: 0, max: 50, color: '#000000' },
          { name: 'B', min: 40, max: 100, color: '#ffffff' },
        ],
      },
      'bands.1',
      /overlaps/,
    ],
    [
      'a gap between bands',
      {
        ...base,
        range: { min: 0, max: 100 },
        bands: [
          { name: 'A', min: 0, max: 40, color: '#000000' },
          { name: 'B', min: 50, max: 100, color: '#ffffff' },
        ],
      },
      'bands.1',
      /gap/,
    ],
    [
      'bands not covering the range',
      { ...base, range: { min: 0, max: 100 }, bands: [{ name: 'A', min: 0, max: 90, color: '#000000' }] },
      'bands.0.max',
    ],
    ['a bad band colour', { ...base, bands: [{ name: 'A', min: 0, max: 10, color: 'red' }] }, 'bands.0.color'],
    [
      'a weight above 10',
      {
        name: 'R',
        kind: 'relationship',
        rules: [{ name: 'x', conditions: typeIs('call'), event: { type: 'weight', params: { weight: 11 } } }],
      },
      'rules.0.event.params.weight',
    ],
    [
      'a points event in a relationship profile',
      { name: 'R', kind: 'relationship', rules: [pointsRule('x', 'call', 1)] },
      'rules.0.event.type',
    ],
    ['a negative half-life', { ...base, decay: { halfLifeDays: -1 } }, 'decay.halfLifeDays'],
    ['a zero window', { ...base, window: { days: 0 } }, 'window.days'],
    ['a range upside down', { ...base, range: { min: 10, max: 0 } }, 'range'],
    ['a limit of 0', { ...base, rules: [pointsRule('x', 'call', 1, { count: 0, perDays: 1 })] }, 'rules.0.event.params.limit.count'],
    [
      'a limit on a state rule',
      {
        ...base,
        rules: [
          {
            name: 'x',
            conditions: { all: [{ fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' }] },
            event: { type: 'points', params: { points: 1, limit: { count: 1, perDays: 1 } } },
          },
        ],
      },
      'rules.0.event.params.limit',
    ],
    ['rules in a manual profile', { name: 'M', kind: 'manual', rules: [pointsRule('x', 'call', 1)] }, 'rules'],
    ['duplicate rule names', { ...base, rules: [pointsRule('x', 'call', 1), pointsRule('x', 'meeting', 2)] }, 'rules.1.name'],
    [
      'an unknown fact in a suggestion',
      {
        ...base,
        suggestions: [
          {
            name: 's',
            conditions: { all: [{ fact: 'interaction', operator: 'equal', value: 1 }] },
            event: { type: 'suggestion', params: { action: 'call', message: 'Call' } },
          },
        ],
      },
      'suggestions.0.conditions.all.0.fact',
    ],
    ['points out of range', { ...base, rules: [pointsRule('x', 'call', 1e9)] }, 'rules.0.event.params.points'],
  ];
  it.each(cases.map(([what, document, path, message]) => ({ what, document, path, message })))(
    'refuses $what with 400 and the path',
    async ({ document, path, message }) => {
      const response = await service.admin.post('/v1/profiles', document);
      expect(response.status).toBe(400);
      const error = response.body.errors.find((candidate: { path: string }) => candidate.path === path);
      expect(error).toBeDefined();
      if (message) expect(error.message).toMatch(message);
    },
  );

  it('accepts the example profiles, every operator and decorator, named conditions and nesting', async () => {
    for (const name of ['engagement-highlevel', 'relationship-strength', 'likelihood-to-renew'] as const) {
      expect((await service.admin.post('/v1/profiles', exampleProfile(name))).status).toBe(201);
    }
    const rich = await service.admin.post('/v1/profiles', {
      name: 'Rich',
      kind: 'points',
      conditions: { isVip: { all: [{ fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' }] } },
      rules: [
        {
          name: 'VIP meeting',
          conditions: {
            all: [
              { condition: 'isVip' },
              { fact: 'interaction', path: '$.type', operator: 'in', value: ['meeting', 'call'] },
              { not: { fact: 'interaction', path: '$.properties.cancelled', operator: 'equal', value: true } },
              {
                any: [
                  { fact: 'interaction', path: "$.properties['duration minutes']", operator: 'greaterThanInclusive', value: 30 },
                  { fact: 'interaction', path: '$.properties.tags', operator: 'someFact:equal', value: 'exec' },
                ],
              },
              { fact: 'interaction', path: '$.actorId', operator: 'notEqual', value: { fact: 'contact', path: '$.ownerId' }, priority: 2 },
            ],
          },
          event: { type: 'points', params: { points: 5 } },
          priority: 3,
        },
      ],
    });
    expect(rich.status).toBe(201);
  });
});

describe('profile lifecycle', () => {
  it('creates a draft, publishes versions through a job, lists versions, and archives', async () => {
    const created = await service.admin.post('/v1/profiles', base);
    expect(created.body).toMatchObject({ status: 'draft', version: 0, published: null, draft: base, kind: 'points', publishing: null });
    const id = created.body.id;

    const published = await service.admin.post(`/v1/profiles/${id}/publish`);
    expect(published.status).toBe(202);
    expect(published.body.version).toBe(1);
    const job = await service.admin.get(`/v1/jobs/${published.body.job.id}`);
    expect(job.body).toMatchObject({ state: 'queued', done: 0 });
    const during = await service.admin.get(`/v1/profiles/${id}`);
    expect(during.body).toMatchObject({ status: 'draft', version: 0, publishing: { version: 1, job: { id: published.body.job.id } } });
    expect((await service.admin.post(`/v1/profiles/${id}/publish`)).status).toBe(409);

    await service.runJobs();
    const done = await service.admin.get(`/v1/jobs/${published.body.job.id}`);
    expect(done.body).toMatchObject({ state: 'succeeded', startedAt: expect.any(String), finishedAt: expect.any(String) });
    expect(done.body.done).toBe(done.body.total);
    expect((await service.admin.get(`/v1/profiles/${id}`)).body).toMatchObject({
      status: 'published',
      version: 1,
      published: base,
      publishing: null,
    });

    const changed = { ...base, rules: [pointsRule('Call', 'call', 7)] };
    const updated = await service.admin.put(`/v1/profiles/${id}`, changed);
    expect(updated.body).toMatchObject({ version: 1, draft: changed, published: base });
    await republish(service, id);
    const versions = await service.admin.get(`/v1/profiles/${id}/versions`);
    expect(versions.body.items.map((item: { version: number; state: string }) => [item.version, item.state])).toEqual([
      [2, 'live'],
      [1, 'retired'],
    ]);

    expect((await service.admin.delete(`/v1/profiles/${id}`)).status).toBe(204);
    expect((await service.admin.get(`/v1/profiles/${id}`)).body.status).toBe('archived');
    expect((await service.admin.get('/v1/profiles')).body.items.map((item: { id: string }) => item.id)).not.toContain(id);
    expect((await service.admin.get('/v1/profiles?includeArchived=true')).body.items.map((item: { id: string }) => item.id)).toContain(id);
    expect((await service.admin.post(`/v1/profiles/${id}/publish`)).status).toBe(409);
    expect((await service.admin.put(`/v1/profiles/${id}`, base)).status).toBe(409);
  });

  it('keeps profiles to admins and to their workspace', async () => {
    const writer = service.as(await service.key('writer'));
    expect((await writer.post('/v1/profiles', base)).status).toBe(403);
    const created = await service.admin.post('/v1/profiles', base);
    expect((await writer.post(`/v1/profiles/${created.body.id}/publish`)).status).toBe(403);
    expect((await writer.get(`/v1/profiles/${created.body.id}`)).status).toBe(200);
    const stranger = service.as(await service.key('admin', 'elsewhere'));
    expect((await stranger.get(`/v1/profiles/${created.body.id}`)).status).toBe(404);
    expect((await stranger.post(`/v1/profiles/${created.body.id}/publish`)).status).toBe(404);
    expect(
      (await stranger.get(`/v1/jobs/${(await service.admin.post(`/v1/profiles/${created.body.id}/publish`)).body.job.id}`)).status,
    ).toBe(404);
    await service.runJobs();
  });
});

describe('publish', () => {
  it('scores every existing contact, serving the previous version until the job has finished', async () => {
    const agent = service.as(await service.key('admin', 'publishing'));
    await agent.post('/v1/interactions', {
      interactions: Array.from({ length: 120 }, (_, index) => ({
        id: `pub-${index}`,
        contactId: `p${String(index % 60).padStart(3, '0')}`,
        type: 'call',
      })),
    });
    const id = await publishProfile(service, { ...base, rules: [pointsRule('Call', 'call', 1)] }, agent);
    expect((await agent.get(`/v1/profiles/${id}/scores/p000`)).body).toMatchObject({ version: 1, score: 2 });

    await agent.put(`/v1/profiles/${id}`, { ...base, rules: [pointsRule('Call', 'call', 10)] });
    const publish = await agent.post(`/v1/profiles/${id}/publish`);
    // A worker that dies after its first batch of 50 contacts.
    await service.worker({ stopAfterBatches: 1, batchSize: 50, parallelBatches: 1 }).runOnce();
    const progress = await agent.get(`/v1/jobs/${publish.body.job.id}`);
    expect(progress.body).toMatchObject({ state: 'running', done: 50, total: 60 });
    // Reads still see version 1 for every contact, processed or not, while interactions keep arriving.
    await agent.post('/v1/interactions', {
      interactions: [
        { id: 'pub-late-1', contactId: 'p000', type: 'call' },
        { id: 'pub-late-2', contactId: 'p059', type: 'call' },
      ],
    });
    const reads = await Promise.all(['p000', 'p030', 'p059'].map((contact) => agent.get(`/v1/profiles/${id}/scores/${contact}`)));
    expect(reads.map((read) => [read.body.version, read.body.score])).toEqual([
      [1, 3],
      [1, 2],
      [1, 3],
    ]);
    expect((await agent.get(`/v1/contacts?profileId=${id}&limit=1`)).body.items[0].score).toBe(3);

    // Another instance resumes once the lease has run out, from the last committed batch.
    service.clock.advance(61_000);
    await service.runJobs();
    expect((await agent.get(`/v1/jobs/${publish.body.job.id}`)).body).toMatchObject({ state: 'succeeded', done: 60, total: 60 });
    const after = await Promise.all(['p000', 'p030', 'p059'].map((contact) => agent.get(`/v1/profiles/${id}/scores/${contact}`)));
    expect(after.map((read) => [read.body.version, read.body.score])).toEqual([
      [2, 30],
      [2, 20],
      [2, 30],
    ]);
  });

  it('resumed after a crash, gives exactly what an uninterrupted publish gives', async () => {
    const agent = service.as(await service.key('admin', 'crash'));
    const document = {
      name: 'Crash test',
      kind: 'points',
      rules: [
        pointsRule('Open', 'email_open', 1, { count: 3, perDays: 2 }),
        pointsRule('Meeting', 'meeting', 8),
        {
          name: 'VIP',
          conditions: { all: [{ fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' }] },
          event: { type: 'points', params: { points: 5 } },
        },
      ],
      decay: { halfLifeDays: 14 },
      window: { days: 60 },
    };
    const start = Date.parse('2026-02-01T00:00:00Z');
    await agent.post('/v1/contacts/batch', {
      contacts: Array.from({ length: 40 }, (_, index) => ({
        id: `k${String(index).padStart(2, '0')}`,
        tags: index % 3 === 0 ? ['vip'] : [],
      })),
    });
    await agent.post('/v1/interactions', {
      interactions: Array.from({ length: 400 }, (_, index) => ({
        id: `k-${index}`,
        contactId: `k${String((index * 7) % 40).padStart(2, '0')}`,
        type: index % 4 === 0 ? 'meeting' : 'email_open',
        occurredAt: new Date(start + ((index * 37) % 59) * DAY + (index % 5) * 3_600_000).toISOString(),
      })),
    });
    const uninterrupted = await publishProfile(service, document, agent);

    const crashed = (await agent.post('/v1/profiles', document)).body.id;
    await agent.post(`/v1/profiles/${crashed}/publish`);
    await service.worker({ stopAfterBatches: 1, batchSize: 15 }).runOnce();
    service.clock.advance(61_000);
    await service.worker({ batchSize: 15 }).drain();

    const scores = async (profileId: string) =>
      Promise.all(
        Array.from({ length: 40 }, async (_, index) => {
          const body = (await agent.get(`/v1/profiles/${profileId}/scores/k${String(index).padStart(2, '0')}`)).body;
          return { score: body.score, explanation: body.explanation };
        }),
      );
    const expected = await scores(uninterrupted);
    expect(await scores(crashed)).toEqual(expected);
    expect(expected.some((entry) => entry.score > 0)).toBe(true);
    const rows = async (profileId: string) =>
      (
        await service.database.db.query(
          `SELECT count(*)::int AS n, sum(CASE WHEN counted THEN 1 ELSE 0 END)::int AS counted FROM score_ledger l JOIN profiles p ON p.live_version_id = l.version_id WHERE p.id = $1`,
          [profileId],
        )
      ).rows[0];
    expect(await rows(crashed)).toEqual(await rows(uninterrupted));
  });

  it('purges what a replaced version left behind', async () => {
    const agent = service.as(await service.key('admin', 'purge'));
    await agent.post('/v1/interactions', { interactions: [{ id: 'purge-1', contactId: 'purged', type: 'call' }] });
    const id = await publishProfile(service, base, agent);
    const first = (await service.database.db.query('SELECT live_version_id AS v FROM profiles WHERE id = $1', [id])).rows[0].v;
    await republish(service, id, agent);
    const left = await service.database.db.query(
      'SELECT (SELECT count(*)::int FROM score_ledger WHERE version_id = $1) AS ledger, (SELECT count(*)::int FROM scores WHERE version_id = $1) AS scores',
      [first],
    );
    expect(left.rows[0]).toEqual({ ledger: 0, scores: 0 });
  });
});

describe('preview', () => {
  it('scores stored contacts with the draft next to the published score, storing nothing', async () => {
    const agent = service.as(await service.key('admin', 'preview'));
    await agent.post('/v1/interactions', {
      interactions: [
        { id: 'pv-1', contactId: 'pv', type: 'call' },
        { id: 'pv-2', contactId: 'pv', type: 'meeting' },
      ],
    });
    const id = await publishProfile(service, base, agent);
    await agent.put(`/v1/profiles/${id}`, { ...base, rules: [pointsRule('Call', 'call', 5), pointsRule('Meeting', 'meeting', 20)] });
    const ledgerBefore = (await service.database.db.query('SELECT count(*)::int AS n FROM score_ledger')).rows[0].n;
    const preview = await agent.post(`/v1/profiles/${id}/preview`, { contactIds: ['pv'] });
    expect(preview.status).toBe(200);
    expect(preview.body.items).toEqual([
      {
        contactId: 'pv',
        draft: {
          score: 25,
          band: null,
          clamp: null,
          explanation: [
            { rule: 'Call', kind: 'interaction', count: 1, points: 5 },
            { rule: 'Meeting', kind: 'interaction', count: 1, points: 20 },
          ],
        },
        published: { version: 1, score: 5, band: null, explanation: [{ rule: 'Call', kind: 'interaction', count: 1, points: 5 }] },
        delta: 20,
        bandChanged: false,
      },
    ]);
    expect((await service.database.db.query('SELECT count(*)::int AS n FROM score_ledger')).rows[0].n).toBe(ledgerBefore);
  });

  it('scores inline interactions under the draft and the published version', async () => {
    const agent = service.as(await service.key('admin', 'preview-inline'));
    const id = await publishProfile(service, base, agent);
    await agent.put(`/v1/profiles/${id}`, { ...base, rules: [pointsRule('Call', 'call', 1, { count: 1, perDays: 1 })] });
    const preview = await agent.post(`/v1/profiles/${id}/preview`, {
      interactions: [
        { contactId: 'x', type: 'call' },
        { contactId: 'x', type: 'call' },
      ],
    });
    expect(preview.body.items[0]).toMatchObject({ contactId: 'x', draft: { score: 1 }, published: { score: 10 }, delta: -9 });
    expect(preview.body.items[0].draft.explanation).toEqual([{ rule: 'Call', kind: 'interaction', count: 1, points: 1, limited: 1 }]);
    expect((await agent.get('/v1/contacts/x')).status).toBe(404);
    const bad = await agent.post(`/v1/profiles/${id}/preview`, {});
    expect(bad.status).toBe(400);
    expect((await agent.post(`/v1/profiles/${id}/preview`, { contactIds: ['nobody'] })).status).toBe(404);
  });
});
