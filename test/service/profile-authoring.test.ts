import { pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * What an admin needs to write a profile without breaking anything: the document's JSON Schema,
 * validation with warnings from the workspace's data, previews of unsaved documents, optimistic
 * concurrency on drafts, who published what, restoring a version, and the impact of a draft.
 */

let service: TestService;
let agent: AuthedAgent;

const base = {
  name: 'Authoring',
  kind: 'points',
  rules: [pointsRule('Meeting', 'meeting', 10), pointsRule('Call', 'call', 5)],
  range: { min: 0, max: 100 },
  bands: [
    { name: 'Cold', min: 0, max: 20, color: '#d64545' },
    { name: 'Warm', min: 20, max: 100, color: '#2e9d5b' },
  ],
};

beforeAll(async () => {
  service = await startTestService();
  agent = service.as(await service.key('admin', 'authoring'));
  await agent
    .post('/v1/interactions', {
      interactions: [
        { id: 'a1', contactId: 'ann', type: 'meeting', properties: { amount: 120, utm: { source: 'mail' } } },
        { id: 'a2', contactId: 'ann', type: 'call' },
        { id: 'b1', contactId: 'bob', type: 'call' },
      ],
    })
    .expect(200);
  await agent.put('/v1/contacts/ann', { name: 'Ann Archer', attributes: { plan: 'pro', dndAll: false } }).expect(200);
});
afterAll(() => service.close());

describe('the profile document schema', () => {
  it('is served without a key, describes conditions, facts and operators, and documents may name it in $schema', async () => {
    const schema = await service.http.get('/v1/schemas/profile.json').expect(200);
    expect(schema.body.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.body.$id).toMatch(/\/v1\/schemas\/profile\.json$/);
    expect(schema.body.properties.kind.enum).toEqual(['points', 'relationship', 'manual']);
    expect(schema.body.properties.rules.items.properties.conditions.$ref).toBe('#/$defs/ruleTopLevel');
    const fact = schema.body.$defs.ruleFact;
    expect(fact.properties.fact.enum).toEqual(['interaction', 'contact']);
    expect(fact.properties.operator.anyOf[0].enum).toEqual(expect.arrayContaining(['equal', 'in', 'greaterThanInclusive', 'not:in']));
    expect(new RegExp(fact.properties.operator.anyOf[1].pattern).test('everyFact:not:equal')).toBe(true);
    expect(fact.properties.path.examples).toContain('$.properties');
    expect(schema.body.$defs.suggestionFact.properties.fact.enum).toContain('daysSinceLastInteraction');
    const created = await agent.post('/v1/profiles', { $schema: schema.body.$id, ...base }).expect(201);
    expect(created.body.draft.$schema).toBe(schema.body.$id);
  });
});

describe('validation with warnings', () => {
  it('names errors by path, and warns about paths and types this workspace has never seen', async () => {
    const broken = await agent
      .post('/v1/profiles/validate', {
        ...base,
        bands: [
          { name: 'A', min: 0, max: 30, color: '#000000' },
          { name: 'B', min: 40, max: 100, color: '#ffffff' },
        ],
      })
      .expect(200);
    expect(broken.body.valid).toBe(false);
    expect(broken.body.errors).toEqual(expect.arrayContaining([{ path: 'bands.1', message: expect.stringContaining('gap') }]));

    const typos = await agent
      .post('/v1/profiles/validate', {
        ...base,
        rules: [
          {
            name: 'Typo',
            conditions: { all: [{ fact: 'interaction', path: '$.tpye', operator: 'equal', value: 'meeting' }] },
            event: { type: 'points', params: { points: 1 } },
          },
          {
            name: 'Unknown type',
            conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'in', value: ['call', 'meetting'] }] },
            event: { type: 'points', params: { points: 1 } },
          },
          {
            name: 'Property',
            conditions: { all: [{ fact: 'interaction', path: '$.properties.amuont', operator: 'greaterThan', value: 100 }] },
            event: { type: 'points', params: { points: 1 } },
          },
          {
            name: 'Nested',
            conditions: { all: [{ fact: 'interaction', path: '$.properties.utm.source', operator: 'equal', value: 'mail' }] },
            event: { type: 'points', params: { points: 1 } },
          },
          {
            name: 'Attribute',
            conditions: { all: [{ fact: 'contact', path: '$.attributes.plna', operator: 'equal', value: 'pro' }] },
            event: { type: 'points', params: { points: 1 } },
          },
        ],
      })
      .expect(200);
    expect(typos.body).toMatchObject({ valid: true, errors: [] });
    expect(typos.body.warnings).toEqual([
      { path: 'rules.0.conditions.all.0.path', message: expect.stringMatching(/no field "tpye".*Did you mean "type"\?/) },
      {
        path: 'rules.1.conditions.all.0.value.1',
        message: expect.stringMatching(/no interaction of type "meetting".*Did you mean "meeting"\?/),
      },
      { path: 'rules.2.conditions.all.0.path', message: expect.stringMatching(/property "amuont".*Did you mean "amount"\?/) },
      { path: 'rules.4.conditions.all.0.path', message: expect.stringMatching(/attribute "plna".*Did you mean "plan"\?/) },
    ]);
  });

  it('is a reader’s right, and refuses nothing: an empty body is an invalid document', async () => {
    const reader = service.as(await service.key('reader', 'authoring'));
    const answer = await reader.post('/v1/profiles/validate', {}).expect(200);
    expect(answer.body.valid).toBe(false);
    expect(answer.body.errors.map((error: { path: string }) => error.path)).toEqual(expect.arrayContaining(['name', 'kind']));
  });
});

describe('previews of unsaved documents', () => {
  it('tries a document that is not saved next to the live version, leaving the draft alone', async () => {
    const id = await publishProfile(service, base, agent);
    const before = (await agent.get(`/v1/profiles/${id}`)).body;
    const unsaved = { ...base, rules: [pointsRule('Meeting', 'meeting', 30), pointsRule('Call', 'call', 5)] };
    const preview = await agent.post(`/v1/profiles/${id}/preview`, { document: unsaved, contactIds: ['ann'] }).expect(200);
    expect(preview.body.items[0]).toMatchObject({
      contactId: 'ann',
      draft: { score: 35, band: { name: 'Warm' } },
      published: { version: 1, score: 15, band: { name: 'Cold' } },
      delta: 20,
      bandChanged: true,
    });
    expect((await agent.get(`/v1/profiles/${id}`)).body).toEqual(before);

    const invalid = await agent
      .post(`/v1/profiles/${id}/preview`, { document: { ...unsaved, kind: 'nope' }, contactIds: ['ann'] })
      .expect(400);
    expect(invalid.body.errors[0].path).toBe('document.kind');
  });

  it('tries a brand-new document without a profile', async () => {
    const preview = await agent
      .post('/v1/profiles/preview', {
        document: base,
        interactions: [
          { contactId: 'nobody', type: 'meeting' },
          { contactId: 'nobody', type: 'call' },
        ],
      })
      .expect(200);
    expect(preview.body.items).toEqual([
      expect.objectContaining({
        contactId: 'nobody',
        draft: expect.objectContaining({ score: 15 }),
        published: null,
        delta: null,
        bandChanged: null,
      }),
    ]);
    expect((await agent.post('/v1/profiles/preview', { contactIds: ['ann'] })).status).toBe(400);
  });
});

describe('optimistic concurrency on drafts', () => {
  it('answers ETag, refuses a stale If-Match with 412 and the profile as it is now, on PUT and publish', async () => {
    const created = await agent.post('/v1/profiles', { ...base, name: 'Shared' }).expect(201);
    const id = created.body.id as string;
    expect(created.headers.etag).toBe('"1"');
    const read = await agent.get(`/v1/profiles/${id}`);
    expect(read.headers.etag).toBe('"1"');

    const mine = await agent
      .put(`/v1/profiles/${id}`, { ...base, name: 'Shared', description: 'mine' })
      .set('If-Match', '"1"')
      .expect(200);
    expect(mine.headers.etag).toBe('"2"');
    expect(mine.body.revision).toBe(2);

    const theirs = await agent.put(`/v1/profiles/${id}`, { ...base, name: 'Shared', description: 'theirs' }).set('If-Match', '"1"');
    expect(theirs.status).toBe(412);
    expect(theirs.headers['content-type']).toMatch(/problem\+json/);
    expect(theirs.body.current).toMatchObject({ revision: 2, draft: { description: 'mine' } });
    expect((await agent.get(`/v1/profiles/${id}`)).body.draft.description).toBe('mine');

    expect((await agent.post(`/v1/profiles/${id}/publish`, {}).set('If-Match', '"1"')).status).toBe(412);
    expect((await agent.put(`/v1/profiles/${id}`, base).set('If-Match', 'garbage')).status).toBe(412);
    expect((await agent.post(`/v1/profiles/${id}/publish`, {}).set('If-Match', '"2"')).status).toBe(202);
    // Without If-Match, the last write wins as before.
    expect((await agent.put(`/v1/profiles/${id}`, { ...base, name: 'Shared' })).status).toBe(200);
  });
});

describe('versions', () => {
  it('keeps who published each version, lists it, and restores an old one as the draft', async () => {
    const publisher = service.as(await service.key('admin', 'authoring'));
    const created = await publisher.post('/v1/profiles', { ...base, name: 'Versioned' }).expect(201);
    const id = created.body.id as string;
    await publisher.post(`/v1/profiles/${id}/publish`, {}).expect(202);
    await service.runJobs();
    await publisher.put(`/v1/profiles/${id}`, { ...base, name: 'Versioned', description: 'second' }).expect(200);
    await publisher.post(`/v1/profiles/${id}/publish`, {}).expect(202);
    await service.runJobs();

    const versions = await publisher.get(`/v1/profiles/${id}/versions`).expect(200);
    expect(
      versions.body.items.map((item: { version: number; state: string; publishedBy: string }) => [
        item.version,
        item.state,
        item.publishedBy,
      ]),
    ).toEqual([
      [2, 'live', 'admin test key'],
      [1, 'retired', 'admin test key'],
    ]);
    const profile = await publisher.get(`/v1/profiles/${id}`).expect(200);
    expect(profile.body.live).toMatchObject({ version: 2, publishedBy: 'admin test key', contactsScored: 2 });

    const restored = await publisher
      .post(`/v1/profiles/${id}/versions/1/restore`)
      .set('If-Match', `"${profile.body.revision}"`)
      .expect(200);
    expect(restored.body.draft.description).toBeUndefined();
    expect(restored.body).toMatchObject({ version: 2, revision: profile.body.revision + 1 });
    expect((await publisher.post(`/v1/profiles/${id}/versions/9/restore`)).status).toBe(404);
    const reader = service.as(await service.key('reader', 'authoring'));
    expect((await reader.post(`/v1/profiles/${id}/versions/1/restore`)).status).toBe(403);
  });
});

describe('impact of a draft', () => {
  it('runs as a job with progress and reports band moves over every contact', async () => {
    const id = await publishProfile(service, { ...base, name: 'Impact' }, agent);
    const started = await agent
      .post(`/v1/profiles/${id}/impact`, {
        document: { ...base, name: 'Impact', rules: [pointsRule('Meeting', 'meeting', 30), pointsRule('Call', 'call', 5)] },
      })
      .expect(202);
    const queued = await agent.get(`/v1/jobs/${started.body.job.id}`).expect(200);
    expect(queued.body).toMatchObject({ kind: 'impact', state: 'queued', percent: 0 });
    await service.runJobs();
    const done = await agent.get(`/v1/jobs/${started.body.job.id}`).expect(200);
    expect(done.body).toMatchObject({ state: 'succeeded', percent: 100, done: 2, total: 2 });
    expect(done.body.result).toMatchObject({
      contacts: 2,
      changedBand: 1,
      liveVersion: 1,
      distribution: [
        { band: 'Cold', color: '#d64545', live: 2, draft: 1 },
        { band: 'Warm', color: '#2e9d5b', live: 0, draft: 1 },
      ],
      moves: [{ from: 'Cold', to: 'Warm', count: 1 }],
      risers: [expect.objectContaining({ contactId: 'ann', name: 'Ann Archer', live: 15, draft: 35, delta: 20 })],
      fallers: [],
    });
  });
});

describe('the dashboard’s histogram', () => {
  it('counts scores now in 20 buckets over the range', async () => {
    const id = await publishProfile(service, { ...base, name: 'Histogram' }, agent);
    const insights = await agent.get(`/v1/profiles/${id}/insights`).expect(200);
    expect(insights.body.histogram).toHaveLength(20);
    expect(insights.body.histogram[0]).toEqual({ from: 0, to: 5, count: 0 });
    expect(insights.body.histogram[1]).toEqual({ from: 5, to: 10, count: 1 });
    expect(insights.body.histogram[3]).toEqual({ from: 15, to: 20, count: 1 });
    expect(insights.body.histogram.reduce((sum: number, bucket: { count: number }) => sum + bucket.count, 0)).toBe(2);
  });
});

describe('finding contacts by the start of their id or name', () => {
  it('filters with q, any case', async () => {
    const byName = await agent.get('/v1/contacts?q=ANN%20a').expect(200);
    expect(byName.body.items.map((item: { id: string }) => item.id)).toEqual(['ann']);
    const byId = await agent.get('/v1/contacts?q=bo').expect(200);
    expect(byId.body.items.map((item: { id: string }) => item.id)).toEqual(['bob']);
    expect((await agent.get('/v1/contacts?q=%25')).body.items).toEqual([]);
  });
});
