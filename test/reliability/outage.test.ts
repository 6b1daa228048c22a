import { startReceiver } from '../helpers/receiver';
import { batchOf, eventually, ownDatabaseServer, publishEngagementProfile, sleep, startService, type RunningService } from './harness';

/**
 * The database goes away under load — every connection terminated from the server side (a failover,
 * an operator), or the server stopped for a few seconds — while interactions stream in, scores are
 * read, a publish job runs and webhooks are delivered. The process stays up; requests in the outage get
 * 503 with Retry-After (never a 500); afterwards the service, the job and the deliveries carry on by
 * themselves, and nothing acknowledged is lost.
 */

type Load = { stop(): Promise<void>; statuses: Map<number, number>; problems: string[]; acknowledged: { stream: number; batch: number }[] };

/** Ingest streams and score reads running until stopped, every answer checked. */
function runLoad(service: RunningService, profileId: string, streamBase: number): Load {
  const statuses = new Map<number, number>();
  const problems: string[] = [];
  const acknowledged: { stream: number; batch: number }[] = [];
  let running = true;
  const note = (what: string, answer: { status: number; headers: Headers; body: unknown }) => {
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    if (answer.status === 503) {
      if (!answer.headers.get('retry-after')) problems.push(`${what}: 503 without Retry-After`);
      if (!answer.headers.get('content-type')?.includes('application/problem+json')) problems.push(`${what}: 503 not problem+json`);
    } else if (answer.status !== 200) {
      problems.push(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  };
  const ingest = [0, 1].map(async (offset) => {
    const stream = streamBase + offset;
    for (let batch = 0; running; batch++) {
      const answer = await service
        .request('POST', '/v1/interactions', batchOf(stream, batch, 100, 300))
        .catch((error: Error) => ({ status: 0, headers: new Headers(), body: error.message }));
      note('ingest', answer);
      if (answer.status === 200) acknowledged.push({ stream, batch });
      else await sleep(100);
    }
  });
  const reads = (async () => {
    for (let index = 0; running; index++) {
      const answer = await service
        .request('GET', `/v1/profiles/${profileId}/scores/c${index % 300}`)
        .catch((error: Error) => ({ status: 0, headers: new Headers(), body: error.message }));
      // A contact that has no interaction yet is a 404 before the outage as after it.
      if (answer.status !== 404) note('read', answer);
      await sleep(20);
    }
  })();
  return {
    statuses,
    problems,
    acknowledged,
    async stop() {
      running = false;
      await Promise.all([...ingest, reads]);
    },
  };
}

describe('database outages under load', () => {
  let database: Awaited<ReturnType<typeof ownDatabaseServer>>;
  let service: RunningService;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let profileId: string;

  beforeAll(async () => {
    database = await ownDatabaseServer();
    receiver = await startReceiver();
    service = await startService({
      DATABASE_URL: database.url,
      RATE_LIMIT_PER_SECOND: '0',
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
      WEBHOOK_TIMEOUT_MS: '1000',
      SCORING_POLL_MS: '100',
    });
    profileId = await publishEngagementProfile(service);
    // Every contact's first meeting crosses 5 on the way up: a delivery per new contact.
    const subscription = await service.request('POST', '/v1/subscriptions', {
      profileId,
      event: 'score.rose_above',
      threshold: 5,
      url: receiver.url,
    });
    expect(subscription.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    if (service?.alive()) await service.terminate();
    await receiver?.close();
    await database?.dispose();
  });

  async function expectRecovered(load: Load, jobId: string) {
    await load.stop();
    if (process.env.RELIABILITY_REPORT)
      console.log({
        statuses: Object.fromEntries(load.statuses),
        acknowledged: load.acknowledged.length,
        log: service.process
          .output()
          .split('\n')
          .map((line) => line.match(/"msg":"([^"]*)"/)?.[1])
          .filter(Boolean),
      });
    expect(service.alive()).toBe(true);
    expect(load.problems).toEqual([]);
    await eventually(async () => ((await service.request('GET', '/readyz')).status === 200 ? true : undefined), 20_000, '/readyz');
    const job = await eventually(
      async () => {
        const answer = await service.request('GET', `/v1/jobs/${jobId}`);
        return answer.body.state === 'succeeded' || answer.body.state === 'failed' ? answer.body : undefined;
      },
      60_000,
      'the publish job',
    );
    expect(job).toMatchObject({ state: 'succeeded' });
    // Every acknowledged batch is there: sending it again changes nothing.
    for (const { stream, batch } of load.acknowledged) {
      const again = await service.request('POST', '/v1/interactions', batchOf(stream, batch, 100, 300));
      expect(again.body).toMatchObject({ accepted: 0, duplicates: 100 });
    }
    // Every delivery owed is delivered, however often its recording was cut off.
    const subscriptions = await service.request('GET', `/v1/subscriptions?profileId=${profileId}`);
    const subscriptionId = subscriptions.body.items[0].id as string;
    await eventually(
      async () => {
        const log = await service.request('GET', `/v1/subscriptions/${subscriptionId}/deliveries?limit=200`);
        const pending = (log.body.items as { state: string }[]).filter((delivery) => delivery.state !== 'delivered');
        return log.body.items.length > 0 && pending.length === 0 ? true : undefined;
      },
      45_000,
      'every delivery delivered',
    );
    const delivered = new Set(receiver.received.map((request) => request.headers['x-engagement-event-id']));
    const log = await service.request('GET', `/v1/subscriptions/${subscriptionId}/deliveries?limit=200`);
    for (const delivery of log.body.items as { id: string }[]) expect(delivered.has(delivery.id)).toBe(true);
  }

  it('stays up when every connection is terminated from the database side, during ingest, a publish and deliveries', async () => {
    const load = runLoad(service, profileId, 0);
    await sleep(1500);
    const publish = await service.request('POST', `/v1/profiles/${profileId}/publish`, {});
    expect(publish.status).toBe(202);
    let terminated = 0;
    for (let round = 0; round < 4; round++) {
      terminated += await database.terminateServiceConnections();
      await sleep(400);
    }
    expect(terminated).toBeGreaterThan(3);
    await sleep(1000);
    await expectRecovered(load, publish.body.job.id);
  }, 120_000);

  it('answers 503 with Retry-After while the database is stopped, and recovers by itself when it is back', async () => {
    const load = runLoad(service, profileId, 10);
    await sleep(1000);
    const publish = await service.request('POST', `/v1/profiles/${profileId}/publish`, {});
    expect(publish.status).toBe(202);
    await sleep(200);
    await database.stop();
    await sleep(3000);
    const during = await service.request('GET', `/v1/profiles/${profileId}/scores/c1`);
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect((await service.request('GET', '/readyz')).status).toBe(503);
    await database.start();
    await sleep(1000);
    expect(load.statuses.get(503) ?? 0).toBeGreaterThan(0);
    await expectRecovered(load, publish.body.job.id);
  }, 120_000);
});
