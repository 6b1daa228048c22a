import fc from 'fast-check';
import pino from 'pino';
import supertest from 'supertest';
import { ReadCaches } from '../../service/app/caches';
import { DatabaseScoringProgress } from '../../service/app/consistency';
import { createApp } from '../../service/http/app';
import { ScoringWorker } from '../../service/jobs/scoring-worker';
import { systemClock } from '../../service/clock';
import { ScoringEngine } from '../../service/scoring/engine';
import { CrossingDetector } from '../../service/scoring/crossings';
import { lookupApiKey } from '../../service/store/keys';
import { DAY, publishProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The accept/score split (docs/scoring-pipeline.md): a write answers once it is stored, with a token;
 * scoring workers score the log by partition; reads wait for a token when asked; scores that the
 * workers build window by window equal scores computed from scratch; and the caches in front of reads
 * hear of every change.
 */

let service: TestService;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  // Small windows: the log is scored a few interactions at a time, as under load.
  service = await startTestService({ scoring: { maxRows: 3 } });
});
afterAll(() => service.close());

const profile = {
  name: 'Pipeline',
  kind: 'points',
  rules: [
    {
      name: 'Opened',
      conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'equal', value: 'email_open' }] },
      event: { type: 'points', params: { points: 1, limit: { count: 2, perDays: 1 } } },
    },
    {
      name: 'Meeting',
      conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'equal', value: 'meeting' }] },
      event: { type: 'points', params: { points: 10 } },
    },
    {
      name: 'VIP call',
      conditions: {
        all: [
          { fact: 'interaction', path: '$.type', operator: 'equal', value: 'call' },
          { fact: 'contact', path: '$.tags', operator: 'contains', value: 'vip' },
        ],
      },
      event: { type: 'points', params: { points: 5 } },
    },
    {
      name: 'Do not disturb',
      conditions: { all: [{ fact: 'contact', path: '$.attributes.dnd', operator: 'equal', value: true }] },
      event: { type: 'points', params: { points: -20 } },
    },
  ],
  decay: { halfLifeDays: 10 },
  window: { days: 30 },
  bands: [
    { name: 'Cold', min: -1000, max: 10, color: '#6b7a90' },
    { name: 'Warm', min: 10, max: 1000, color: '#e0a800' },
  ],
};

/** Writes without the test helper's scoring after each request: what a client of the real service sees. */
function raw(method: 'get' | 'post' | 'put', path: string, body?: unknown) {
  const request = supertest(service.app)[method](path).set('Authorization', `Bearer ${adminKey}`);
  return body === undefined ? request : request.send(body as object);
}

let adminKey: string;
let profileId: string;

beforeAll(async () => {
  adminKey = await service.key('admin');
  profileId = await publishProfile(service, profile);
});

describe('accept, then score', () => {
  it('answers a write with a token before it is scored; a read with the token waits for the scoring', async () => {
    const written = await raw('post', '/v1/interactions', { interactions: [{ id: 'tok-1', contactId: 'tok', type: 'meeting' }] });
    expect(written.status).toBe(200);
    expect(written.body).toEqual({ accepted: 1, duplicates: 0, token: expect.stringMatching(/^es1\.[0-9a-z]+$/) });
    expect(written.headers['consistency-token']).toBe(written.body.token);
    // Stored, not scored yet: nothing runs in the background here.
    expect((await raw('get', `/v1/profiles/${profileId}/scores/tok`)).body.score).toBe(0);
    const timeline = await raw('get', '/v1/contacts/tok/interactions');
    expect(timeline.body.items[0]).toMatchObject({ id: 'tok-1', earned: [] });
    const read = await raw('get', `/v1/profiles/${profileId}/scores/tok?consistency=${written.body.token}`);
    expect(read.body.score).toBe(10);
    expect((await raw('get', '/v1/contacts/tok/interactions')).body.items[0].earned).toMatchObject([
      { profileName: 'Pipeline', points: 10 },
    ]);
  });

  it('answers wait=true once the batch is scored, and the same token for a batch sent again', async () => {
    const first = await raw('post', '/v1/interactions?wait=true', {
      interactions: [{ id: 'wait-1', contactId: 'waiting', type: 'meeting' }],
    });
    expect(first.body).toMatchObject({ accepted: 1, duplicates: 0, scored: true });
    expect((await raw('get', `/v1/profiles/${profileId}/scores/waiting`)).body.score).toBe(10);
    const again = await raw('post', '/v1/interactions?wait=true', {
      interactions: [{ id: 'wait-1', contactId: 'waiting', type: 'meeting' }],
    });
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, scored: true });
    // The token of a repeated batch covers whoever stored it.
    expect(decode(again.body.token)).toBeGreaterThanOrEqual(decode(first.body.token));
  });

  it('takes contact changes and adjustments through the same log, in order with the interactions', async () => {
    await raw('post', '/v1/interactions', { interactions: [{ id: 'ord-1', contactId: 'ordered', type: 'call' }] });
    const tagged = await raw('put', '/v1/contacts/ordered', { tags: ['vip'] });
    expect(tagged.headers['consistency-token']).toMatch(/^es1\./);
    await raw('post', '/v1/interactions', { interactions: [{ id: 'ord-2', contactId: 'ordered', type: 'call' }] });
    const adjusted = await raw('post', `/v1/profiles/${profileId}/scores/ordered/adjustments`, { delta: 3, reason: 'met at a fair' });
    // An adjustment answers with the score it made: it waited for its own scoring (and everything before it).
    expect(adjusted.status).toBe(201);
    // The VIP rule reads the contact as it is now: both calls earn, whenever they happened.
    expect(adjusted.body.score).toBe(13);
    expect(adjusted.body.explanation.map((line: { rule: string; points: number }) => [line.rule, line.points])).toEqual([
      ['VIP call', 10],
      ['Adjustment: met at a fair', 3],
    ]);
  });

  it('refuses a token it did not give out, naming the parameter', async () => {
    const response = await raw('get', `/v1/profiles/${profileId}/scores/tok?consistency=nope`);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: 'consistency', message: expect.any(String) }]);
  });
});

describe('bounded waits', () => {
  it('answers 503 with Retry-After when what a read waits for is not scored in time, and 202 for a write that waited', async () => {
    // An instance that scores nothing itself (the workers run elsewhere), with a short wait.
    const progress = new DatabaseScoringProgress(service.database.db, silent);
    const { app } = createApp({
      db: service.database.db,
      clock: service.clock,
      logger: silent,
      config: { ...service.config, consistencyTimeoutMs: 300 },
      engine: service.engine,
      progress,
    });
    const call = (method: 'get' | 'post', path: string, body?: unknown) => {
      const request = supertest(app)[method](path).set('Authorization', `Bearer ${adminKey}`);
      return body === undefined ? request : request.send(body as object);
    };
    try {
      const written = await call('post', '/v1/interactions?wait=true', {
        interactions: [{ id: 'slow-1', contactId: 'slow', type: 'meeting' }],
      });
      expect(written.status).toBe(202);
      expect(written.body).toMatchObject({ accepted: 1, duplicates: 0, scored: false });
      const read = await call('get', `/v1/profiles/${profileId}/scores/slow?consistency=${written.body.token}`);
      expect(read.status).toBe(503);
      expect(read.headers['retry-after']).toBe('1');
      expect(read.body.detail).toMatch(/not scored yet/);
      // Once a worker has scored it, the same read answers.
      await service.score();
      expect((await call('get', `/v1/profiles/${profileId}/scores/slow?consistency=${written.body.token}`)).body.score).toBe(10);
    } finally {
      await progress.close();
    }
  });
});

describe('scoring workers', () => {
  it('share the partitions, and take over those of a worker that stopped or died', async () => {
    const deps = { db: service.database.db, clock: systemClock, logger: silent, engine: service.engine };
    const first = new ScoringWorker(deps, { workerId: 'first', leaseMs: 1500 });
    const second = new ScoringWorker(deps, { workerId: 'second', leaseMs: 1500 });
    // The test helper's worker lets go of its partitions first.
    await service.scoring.stop();
    try {
      await first.drainLog();
      expect(first.partitions).toHaveLength(64);
      // A second one joins (with nothing to take yet); the first gives up its surplus at its next claim, the second takes it.
      await second.drain();
      expect(second.partitions).toHaveLength(0);
      await new Promise((resolve) => setTimeout(resolve, 600));
      await first.drain();
      await second.drain();
      expect([first.partitions.length, second.partitions.length]).toEqual([32, 32]);
      // The first dies without a word: its partitions are the second's once their lease has run out.
      await raw('post', '/v1/interactions', { interactions: [{ id: 'takeover-1', contactId: 'takeover', type: 'meeting' }] });
      await new Promise((resolve) => setTimeout(resolve, 1700));
      await second.drainLog();
      expect(second.partitions).toHaveLength(64);
      expect((await raw('get', `/v1/profiles/${profileId}/scores/takeover`)).body.score).toBe(10);
      // A worker that stops gives its partitions back at once.
      await second.stop();
      await first.drainLog();
      expect(first.partitions).toHaveLength(64);
    } finally {
      await first.stop();
      await second.stop();
    }
  });

  it('scores nothing twice when a pass fails halfway: the window is scored again, whole', async () => {
    const before = (await raw('get', `/v1/profiles/${profileId}/scores/retried`)).body.score ?? 0;
    await raw('post', '/v1/interactions', { interactions: [{ id: 'retry-1', contactId: 'retried', type: 'meeting' }] });
    let failures = 1;
    const failing = new ScoringEngine({
      record: async (...args) => {
        if (failures-- > 0) throw new Error('the database went away mid-pass');
        await new CrossingDetector().record(...args);
      },
    });
    const worker = new ScoringWorker(
      { db: service.database.db, clock: service.clock, logger: silent, engine: failing },
      { workerId: 'failing' },
    );
    await service.scoring.stop();
    try {
      await expect(worker.drainLog()).rejects.toThrow('the database went away mid-pass');
      expect((await raw('get', `/v1/profiles/${profileId}/scores/retried`)).body.score).toBe(before);
      await worker.drainLog();
      expect((await raw('get', `/v1/profiles/${profileId}/scores/retried`)).body.score).toBe(10);
    } finally {
      await worker.stop();
    }
  });

  it('waits for a transaction held open elsewhere on the server, and says which one it is', async () => {
    const blocker = await service.database.db.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      await raw('post', '/v1/interactions', { interactions: [{ id: 'held-1', contactId: 'held', type: 'meeting' }] });
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const status = await raw('get', '/v1/ops/scoring');
      expect(status.body.blockedBy).toMatchObject({ pid: expect.any(Number), state: 'idle in transaction' });
      expect(status.body.backlog.interactions).toBeGreaterThanOrEqual(1);
      await expect(service.scoring.drainLog({ timeoutMs: 300 })).rejects.toThrow(/holds it back/);
      await blocker.query('COMMIT');
      await service.score();
      expect((await raw('get', `/v1/profiles/${profileId}/scores/held`)).body.score).toBe(10);
      const after = await raw('get', '/v1/ops/scoring');
      expect(after.body).toMatchObject({ backlog: { interactions: 0, oldestReceivedAt: null }, lagSeconds: 0, blockedBy: null });
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  });

  it('reports the backlog and its lag on /metrics and GET /v1/ops/scoring', async () => {
    await raw('post', '/v1/interactions', { interactions: [{ id: 'lag-1', contactId: 'lagging', type: 'meeting' }] });
    service.clock.advance(4000);
    const status = await raw('get', '/v1/ops/scoring');
    expect(status.body).toMatchObject({ backlog: { interactions: 1 }, lagSeconds: 4, partitions: { total: 64 } });
    const metrics = await supertest(service.app).get('/metrics');
    expect(metrics.text).toMatch(/^engagement_score_scoring_backlog 1$/m);
    expect(metrics.text).toMatch(/^engagement_score_scoring_lag_seconds 4$/m);
    await service.score();
    expect((await raw('get', '/v1/ops/scoring')).body).toMatchObject({ backlog: { interactions: 0 }, lagSeconds: 0 });
    expect((await raw('get', '/v1/ops/scoring')).body.workers.map((worker: { workerId: string }) => worker.workerId)).toContain(
      'test-scoring',
    );
  });
});

describe('scores built window by window equal scores computed from scratch', () => {
  type Op =
    | { kind: 'interaction'; contact: number; type: 'email_open' | 'meeting' | 'call'; ageHours: number }
    | { kind: 'contact'; contact: number; vip: boolean; dnd: boolean }
    | { kind: 'adjust'; contact: number; delta: number }
    | { kind: 'advance'; hours: number }
    | { kind: 'score' }
    | { kind: 'time' };
  const contact = fc.integer({ min: 0, max: 2 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('interaction' as const),
        contact,
        type: fc.constantFrom('email_open' as const, 'meeting' as const, 'call' as const),
        ageHours: fc.integer({ min: -0, max: 24 * 45 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('contact' as const), contact, vip: fc.boolean(), dnd: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('adjust' as const), contact, delta: fc.integer({ min: -5, max: 5 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 24 * 8 }) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'score' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'time' as const }) },
  );
  let run = 0;

  it('for late, limited and contact-dependent interactions, contact changes and adjustments in any order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        run++;
        const ids = [0, 1, 2].map((index) => `prop${run}-${index}`);
        let sequence = 0;
        for (const id of ids) await raw('put', `/v1/contacts/${id}`, { name: id });
        for (const step of ops) {
          if (step.kind === 'interaction') {
            const occurredAt = new Date(service.clock.now().getTime() - step.ageHours * 3_600_000).toISOString();
            await raw('post', '/v1/interactions', {
              interactions: [{ id: `p${run}-${sequence++}`, contactId: ids[step.contact], type: step.type, occurredAt }],
            });
          } else if (step.kind === 'contact') {
            await raw('put', `/v1/contacts/${ids[step.contact]}`, { tags: step.vip ? ['vip'] : [], attributes: { dnd: step.dnd } });
          } else if (step.kind === 'adjust') {
            await raw('post', `/v1/profiles/${profileId}/scores/${ids[step.contact]}/adjustments`, {
              delta: step.delta,
              reason: `step ${sequence++}`,
            });
          } else if (step.kind === 'advance') {
            service.clock.advance(step.hours * 3_600_000);
          } else if (step.kind === 'score') {
            await service.score();
          } else {
            await service.runScheduler();
          }
        }
        await service.runScheduler();
        const scratch = await raw('post', `/v1/profiles/${profileId}/preview`, { contactIds: ids });
        const listed = await raw('get', `/v1/contacts?profileId=${profileId}&q=prop${run}-&limit=10`);
        for (const [index, id] of ids.entries()) {
          const answer = (await raw('get', `/v1/profiles/${profileId}/scores/${id}`)).body;
          const fromScratch = scratch.body.items[index].draft;
          expect([id, answer.score, answer.explanation]).toEqual([id, fromScratch.score, fromScratch.explanation]);
          expect([id, listed.body.items.find((item: { id: string }) => item.id === id).score]).toEqual([id, answer.score]);
          // The trend reads the kept entries; asOf reads the contact's history: they agree.
          const weekAgo = new Date(service.clock.now().getTime() - 7 * DAY).toISOString();
          const then = (await raw('get', `/v1/profiles/${profileId}/scores/${id}?asOf=${weekAgo}`)).body.score;
          expect([id, answer.trend.delta7d]).toEqual([id, Math.round((answer.score - then) * 100) / 100]);
        }
      }),
      { numRuns: 30 },
    );
  });
});

describe('caches in front of reads', () => {
  it('refuse a revoked key at once, also when another instance revoked it', async () => {
    const key = await service.key('reader');
    const caches = new ReadCaches(service.database.db, silent);
    try {
      expect(await caches.apiKey(key)).toBeDefined();
      expect(await caches.apiKey(key)).toBeDefined();
      expect(caches.stats.hits).toBe(1);
      // Revoked by another process: only its notification reaches this one.
      const found = (await lookupApiKey(service.database.db, key))!;
      await service.database.db.query(
        "BEGIN; UPDATE api_keys SET revoked_at = now() WHERE id = $1; SELECT pg_notify('engagement_score_caches', 'keys'); COMMIT;".replace(
          '$1',
          `'${found.id}'`,
        ),
      );
      await eventually(async () => (await caches.apiKey(key)) === undefined);
    } finally {
      await caches.close();
    }
  });

  it('read through while they cannot hear of changes, and start empty once they can again', async () => {
    const key = await service.key('reader');
    const caches = new ReadCaches(service.database.db, silent);
    try {
      expect(await caches.apiKey(key)).toBeDefined();
      await service.database.db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN engagement_score_caches' AND datname = current_database()",
      );
      // Revoked without a notification while the listener is gone.
      await service.database.db.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [
        (await lookupApiKey(service.database.db, key))!.id,
      ]);
      await eventually(async () => (await caches.apiKey(key)) === undefined);
    } finally {
      await caches.close();
    }
  });

  it('serve a new live version right after a publish, and a new threshold right after a subscription', async () => {
    const id = await publishProfile(service, {
      ...profile,
      name: 'Cached',
      bands: [{ name: 'All', min: -1000, max: 1000, color: '#6b7a90' }],
    });
    await service.admin.post('/v1/interactions', { interactions: [{ id: 'cached-1', contactId: 'cached', type: 'meeting' }] });
    expect((await service.admin.get(`/v1/profiles/${id}/scores/cached`)).body).toMatchObject({ version: 1, next: null });
    await service.admin.post(`/v1/profiles/${id}/publish`, {});
    await service.runJobs();
    expect((await service.admin.get(`/v1/profiles/${id}/scores/cached`)).body.version).toBe(2);
    await service.admin.post('/v1/subscriptions', {
      profileId: id,
      event: 'score.dropped_below',
      threshold: 5,
      url: 'http://127.0.0.1:9/hook',
    });
    expect((await service.admin.get(`/v1/profiles/${id}/scores/cached`)).body.next).toMatchObject({ threshold: 5, direction: 'down' });
  });
});

function decode(token: string): number {
  return Number.parseInt(token.slice('es1.'.length), 36);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
