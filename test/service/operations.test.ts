import pino from 'pino';
import supertest from 'supertest';
import { loadConfig } from '../../service/config';
import { createApp } from '../../service/http/app';
import type { LoopHealth } from '../../service/jobs/loop-health';
import { WakeLoop } from '../../service/jobs/wake-loop';
import { ScoringEngine } from '../../service/scoring/engine';
import { createPool } from '../../service/store/db';
import { freePort } from '../../service/store/embedded';
import { ManualClock } from '../helpers/clock';
import { startTestService, type TestService } from '../helpers/service';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

describe('operations endpoints', () => {
  it('answers /healthz and /readyz without a key', async () => {
    expect((await service.http.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await service.http.get('/readyz')).body).toEqual({
      status: 'ready',
      background: { loops: [], cacheInvalidations: expect.any(Boolean) },
    });
  });

  it('reports the background loops in /readyz: busy is ready, a loop that stopped passing is not', async () => {
    let finish = () => undefined as void;
    const loop = new WakeLoop({
      db: service.database.db,
      logger: pino({ level: 'silent' }),
      pollMs: 1000,
      name: 'slow loop',
      drain: () => new Promise<void>((resolve) => (finish = resolve)),
    });
    await loop.start();
    const hourLater = Date.now() + 3_600_000;
    expect(loop.health(hourLater)).toMatchObject({ name: 'slow loop', state: 'busy', listening: null, busySince: expect.any(String) });
    const app = (loops: () => LoopHealth[]) =>
      createApp({
        db: service.database.db,
        clock: service.clock,
        logger: pino({ level: 'silent' }),
        config: service.config,
        engine: service.engine,
        progress: { waitFor: () => Promise.resolve() },
        background: loops,
      }).app;
    const busy = await supertest(app(() => [loop.health(hourLater)])).get('/readyz');
    expect(busy.status).toBe(200);
    expect(busy.body.background.loops).toEqual([expect.objectContaining({ name: 'slow loop', state: 'busy' })]);

    finish();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(loop.health()).toMatchObject({ state: 'idle', lastPassAt: expect.any(String), busySince: null });
    const stalled = await supertest(app(() => [loop.health(hourLater)])).get('/readyz');
    expect(stalled.status).toBe(503);
    expect(stalled.headers['retry-after']).toBeDefined();
    expect(stalled.body.detail).toBe('Background work has stopped: slow loop.');
    expect(stalled.body.errors).toEqual([{ path: 'background.slow loop', message: expect.stringMatching(/^no pass since /) }]);
    await loop.stop();
  });

  it('counts interactions received and delivery attempts, and reports the outbox, jobs and pool on /metrics', async () => {
    const counter = async (pattern: RegExp) => Number(pattern.exec((await service.http.get('/metrics')).text)?.[1] ?? 0);
    const accepted = /^engagement_score_interactions_received_total\{outcome="accepted"\} (\d+)$/m;
    const duplicates = /^engagement_score_interactions_received_total\{outcome="duplicate"\} (\d+)$/m;
    const [acceptedBefore, duplicatesBefore] = [await counter(accepted), await counter(duplicates)];
    const batch = {
      interactions: [
        { id: 'm-1', contactId: 'metrics', type: 'call' },
        { id: 'm-2', contactId: 'metrics', type: 'call' },
      ],
    };
    await service.admin.post('/v1/interactions', batch);
    await service.admin.post('/v1/interactions', batch);
    expect(await counter(accepted)).toBe(acceptedBefore + 2);
    expect(await counter(duplicates)).toBe(duplicatesBefore + 2);
    const text = (await service.http.get('/metrics')).text;
    expect(text).toMatch(/^engagement_score_deliveries_pending \d+$/m);
    expect(text).toMatch(/^engagement_score_deliveries_oldest_pending_seconds \d+/m);
    expect(text).toMatch(/^engagement_score_db_pool_connections\{state="idle"\} \d+$/m);
    expect(text).toMatch(/^# TYPE engagement_score_delivery_attempts_total counter$/m);
    expect(text).toMatch(/^# TYPE engagement_score_time_step_pass_duration_seconds histogram$/m);
  });

  it('says not ready (503) when the database is unreachable', async () => {
    const db = createPool(`postgres://nobody@127.0.0.1:${await freePort()}/none`, 1);
    const { app } = createApp({
      db,
      clock: new ManualClock(),
      logger: pino({ level: 'silent' }),
      config: { ...loadConfig({}), rateLimitPerSecond: 0 },
      engine: new ScoringEngine(),
      progress: { waitFor: () => Promise.resolve() },
    });
    const response = await supertest(app).get('/readyz');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body.detail).toMatch(/not reachable/);
    const read = await supertest(app).get('/v1/me').set('Authorization', 'Bearer es_whatever');
    expect(read.status).toBe(503);
    expect(read.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(read.headers['retry-after']).toBe('5');
    await db.end();
  });

  it('exposes request counts and latencies by route template on /metrics', async () => {
    await service.admin.get('/v1/contacts/someone');
    const metrics = await service.http.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/http_requests_total\{method="GET",route="\/v1\/contacts\/:contactId",status="404"\} \d+/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/contacts\/:contactId"\}/);
  });

  it('echoes a caller request id, or makes one up', async () => {
    expect((await service.http.get('/healthz').set('X-Request-Id', 'trace-123')).headers['x-request-id']).toBe('trace-123');
    expect((await service.http.get('/healthz')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const response = await service.admin.get('/v1/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('/openapi.json', () => {
  it('documents every route with its parameters, body and answers, generated from the zod schemas', async () => {
    const { body: document } = await service.http.get('/openapi.json');
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) =>
      Object.values(item).map((operation) => operation.operationId),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'getMe',
        'createKey',
        'listKeys',
        'revokeKey',
        'upsertContact',
        'upsertContacts',
        'getContact',
        'listContacts',
        'eraseContact',
        'recordInteractions',
        'listContactInteractions',
        'health',
        'ready',
        'createProfile',
        'listProfiles',
        'getProfile',
        'updateProfile',
        'archiveProfile',
        'publishProfile',
        'listProfileVersions',
        'previewProfile',
        'getJob',
        'getScore',
        'getScoreHistory',
        'adjustScore',
      ]),
    );
    const record = document.paths['/v1/interactions'].post;
    const item = record.requestBody.content['application/json'].schema.properties.interactions.items;
    expect(item.required).toEqual(['contactId', 'type']);
    expect(item.properties.occurredAt.format).toBe('date-time');
    const list = document.paths['/v1/contacts'].get;
    expect(list.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
      expect.arrayContaining(['tag', 'accountId', 'sort', 'limit', 'cursor']),
    );
    expect(document.paths['/v1/contacts/{contactId}'].get.responses['404'].content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(document.components.schemas.Contact).toBeDefined();
    expect(JSON.stringify(document)).not.toContain('#/$defs/');
  });

  it('serves /docs with its assets', async () => {
    const page = await service.http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    expect((await service.http.get('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    expect((await service.http.get('/docs/assets/swagger-ui.css')).status).toBe(200);
    expect((await service.http.get('/docs/assets/docs-init.js')).text).toContain('/openapi.json');
  });
});
