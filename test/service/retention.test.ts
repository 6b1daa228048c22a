import pino from 'pino';
import { RetentionSweeper } from '../../service/jobs/retention';
import { DAY, pointsRule, publishProfile } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type TestService } from '../helpers/service';

/** Finished deliveries and jobs are forgotten after the retention period; what is still owed never is. */
let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

it('purges delivered, failed and cancelled deliveries and finished jobs older than the retention, in batches, and keeps pending ones', async () => {
  const receiver = await startReceiver((_request, index) => (index < 3 ? 200 : 500));
  try {
    const profileId = await publishProfile(service, {
      name: 'Kept',
      kind: 'points',
      rules: [pointsRule('Call', 'call', 10)],
      range: { min: 0, max: 100 },
    });
    await service.admin.post('/v1/subscriptions', { profileId, event: 'score.rose_above', threshold: 5, url: receiver.url }).expect(201);
    await service.runJobs();
    await service.admin
      .post('/v1/interactions', { interactions: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, contactId: id, type: 'call' })) })
      .expect(200);
    await service.dispatcher().drain();
    const count = async (sql: string) => (await service.database.db.query<{ n: number }>(sql)).rows[0].n;
    expect(await count(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'delivered'`)).toBe(3);
    expect(await count(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'pending'`)).toBe(2);
    const jobs = await count(`SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'`);
    expect(jobs).toBeGreaterThan(0);

    const sweeper = new RetentionSweeper(
      { db: service.database.db, clock: service.clock, logger: pino({ level: 'silent' }) },
      { retentionDays: 30, batchSize: 2 },
    );
    service.clock.advance(29 * DAY);
    expect(await sweeper.runOnce()).toEqual({ deliveries: 0, jobs: 0 });
    service.clock.advance(2 * DAY);
    expect(await sweeper.runOnce()).toEqual({ deliveries: 3, jobs });
    expect(await count(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'pending'`)).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM deliveries`)).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM jobs`)).toBe(0);
  } finally {
    await receiver.close();
  }
});
