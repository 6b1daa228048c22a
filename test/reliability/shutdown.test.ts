import { batchOf, freshDatabaseForService, publishEngagementProfile, sleep, startService } from './harness';

/** SIGTERM while large ingest batches and reads are in flight: every request that started gets its answer. */
describe('SIGTERM with requests in flight', () => {
  const fixture = freshDatabaseForService();

  it('answers every request that started before exiting, and stores what it acknowledged', async () => {
    const { database } = fixture;
    const service = (fixture.service = await startService({ DATABASE_URL: database.url, RATE_LIMIT_PER_SECOND: '0' }));
    const profileId = await publishEngagementProfile(service);
    const seed = batchOf(99, 0, 500, 2000);
    await service.request('POST', '/v1/interactions', seed);

    const running = service;
    const ingests = [0, 1, 2, 3].map((stream) => running.request('POST', '/v1/interactions', batchOf(stream, 0, 10_000, 2000)));
    const reads = Array.from({ length: 6 }, (_, index) =>
      index % 2 === 0
        ? running.request('GET', `/v1/contacts?profileId=${profileId}&limit=100`)
        : running.request('GET', `/v1/profiles/${profileId}/scores/${seed.interactions[index].contactId}`),
    );
    // The requests are on their way (the 10,000-item bodies take a moment to arrive and parse; on a
    // loaded machine 150 ms was sometimes too early: a body not yet sent is not a request that started).
    await sleep(300);
    const stopping = running.terminate();

    const answers = await Promise.allSettled([...ingests, ...reads]);
    const stopped = await stopping;
    expect(
      answers.map((answer) =>
        answer.status === 'fulfilled' ? answer.value.status : `${answer.reason} (${(answer.reason as { cause?: Error }).cause?.message})`,
      ),
    ).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 200]);
    for (const answer of answers.slice(0, 4))
      expect((answer as PromiseFulfilledResult<{ body: unknown }>).value.body).toMatchObject({ accepted: 10_000, duplicates: 0 });
    expect(stopped.code).toBe(0);

    const { rows } = await database.db.query<{ n: number }>("SELECT count(*)::int AS n FROM interactions WHERE id NOT LIKE 's99-%'");
    expect(rows[0].n).toBe(40_000);
    // New connections are refused once it has stopped.
    await expect(running.request('GET', '/healthz')).rejects.toThrow();
  }, 120_000);
});
