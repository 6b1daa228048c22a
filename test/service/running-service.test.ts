import { freePort } from '../../service/store/embedded';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { cleanEnv, runFromSources, type Spawned } from '../helpers/processes';
import { pointsRule } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';

/**
 * The service as `npm start` runs it, background work included: a publish finishes on its own, and a
 * crossing caused by nothing but time reaches the receiver within a minute of happening.
 */
let database: TestDatabase;
let service: Spawned;
let base: string;
const key = 'running-service-test-key-0123456789abcdef';

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = runFromSources(
    'service/main.ts',
    [],
    cleanEnv({
      DATABASE_URL: database.url,
      PORT: String(port),
      ADMIN_API_KEY: key,
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
      SCORING_POLL_MS: '100',
    }),
  );
  await service.waitFor(/listening on/);
});
afterAll(async () => {
  service.child.kill('SIGTERM');
  await service.exited;
  await database.drop();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: response.status, body: (response.status === 204 ? undefined : await response.json()) as any };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('publishes in the background and delivers a time-driven crossing within a minute (alone on the server)', async () => {
  const receiver = await startReceiver();
  try {
    // 100 points halving every ~8.6 seconds fall under 40 about 11 seconds after the payment.
    const profile = await call('POST', '/v1/profiles', {
      name: 'Fast decay',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 100)],
      decay: { halfLifeDays: 0.0001 },
      range: { min: 0, max: 100 },
    });
    const published = await call('POST', `/v1/profiles/${profile.body.id}/publish`, {});
    await until(
      async () => ((await call('GET', `/v1/jobs/${published.body.job.id}`)).body.state === 'succeeded' ? true : undefined),
      20_000,
    );
    expect(
      (
        await call('POST', '/v1/subscriptions', {
          profileId: profile.body.id,
          event: 'score.dropped_below',
          threshold: 40,
          url: receiver.url,
        })
      ).status,
    ).toBe(201);
    // A segment of the warm ones, heard when someone leaves it: decay alone takes "fast" out.
    const warm = await call('POST', '/v1/segments', { name: 'Warm', filter: { profileId: profile.body.id, minScore: 40 } });
    expect(warm.status).toBe(201);
    const leaving = await call('POST', '/v1/subscriptions', { segmentId: warm.body.id, event: 'segment.left', url: receiver.url });
    expect(leaving.status).toBe(201);
    await call('POST', '/v1/interactions?wait=true', { interactions: [{ contactId: 'fast', type: 'payment' }] });
    const score = await call('GET', `/v1/profiles/${profile.body.id}/scores/fast`);
    expect(score.body.next).toMatchObject({ threshold: 40, direction: 'down' });
    const delivery = await until(
      () => Promise.resolve(receiver.received.find((request) => request.body.type === 'score.dropped_below')),
      // Time steps go no further than the log is scored, and the log waits for the oldest transaction
      // open anywhere on the server (xids are cluster-wide): the other test files' databases share it.
      90_000,
    );
    expect(delivery.body).toMatchObject({ type: 'score.dropped_below', cause: 'time', occurredAt: score.body.next.at });
    const left = await until(() => Promise.resolve(receiver.received.find((request) => request.body.type === 'segment.left')), 30_000);
    expect(left.body).toMatchObject({
      segment: { id: warm.body.id },
      contact: { id: 'fast' },
      cause: 'time',
      occurredAt: score.body.next.at,
    });
    expect(left.at - Date.parse(String(left.body.occurredAt))).toBeLessThan(90_000);
    expect(delivery.at - Date.parse(String(delivery.body.occurredAt))).toBeLessThan(90_000);
    expect(delivery.at).toBeGreaterThanOrEqual(Date.parse(String(delivery.body.occurredAt)));

    // What an operator pages on: the loops alive in /readyz, the background work counted in /metrics.
    const ready = await fetch(`${base}/readyz`).then(async (response) => ({
      status: response.status,
      body: (await response.json()) as { background: { loops: unknown[] } },
    }));
    expect(ready.status).toBe(200);
    const loops = ready.body.background.loops as { name: string; state: string; listening: boolean | null }[];
    expect(loops.map((loop) => loop.name).sort()).toEqual([
      'job worker',
      'retention sweeper',
      'scoring worker',
      'scoring worker',
      'webhook dispatcher',
    ]);
    expect(loops.filter((loop) => loop.state === 'stalled')).toEqual([]);
    expect(loops.filter((loop) => loop.name !== 'retention sweeper').every((loop) => loop.listening === true)).toBe(true);
    const metrics = await fetch(`${base}/metrics`).then((response) => response.text());
    expect(metrics).toMatch(/^engagement_score_interactions_received_total\{outcome="accepted"\} 1$/m);
    expect(metrics).toMatch(/^engagement_score_delivery_attempts_total\{outcome="delivered"\} [1-9]/m);
    expect(metrics).toMatch(/^engagement_score_deliveries_pending 0$/m);
    expect(metrics).toMatch(/^engagement_score_jobs\{kind="publish",state="succeeded"\} 1$/m);
    expect(metrics).toMatch(/^engagement_score_job_run_duration_seconds_count\{kind="publish",outcome="succeeded"\} 1$/m);
    expect(metrics).toMatch(/^engagement_score_time_step_pass_duration_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^engagement_score_time_step_contacts_due_total [1-9]/m);
    expect(metrics).toMatch(/^engagement_score_db_pool_connections\{state="in_use"\} \d+$/m);
    expect(metrics).toMatch(/^engagement_score_db_pool_waiting \d+$/m);
  } finally {
    await receiver.close();
  }
}, 180_000);
