import { batchOf, eventually, freshDatabaseForService, publishEngagementProfile, sleep, startService } from './harness';

/**
 * kill -9 in the middle of concurrent ingest: whatever was acknowledged is stored exactly once, a
 * batch sent again is counted as duplicates (never half of it), and the scores kept for lists agree
 * with scores recomputed from the ledger and from a fresh publish, once the restarted service has
 * scored what the killed one left in the log.
 */
describe('kill -9 during concurrent ingest streams', () => {
  const fixture = freshDatabaseForService();

  it('stores every acknowledged batch exactly once and counts every resent one as duplicates', async () => {
    const { database } = fixture;
    const env = { DATABASE_URL: database.url, RATE_LIMIT_PER_SECOND: '0' };
    let service = (fixture.service = await startService(env));
    const profileId = await publishEngagementProfile(service);

    const SIZE = 250;
    const CONTACTS = 400;
    const sent: { stream: number; batch: number }[] = [];
    const acknowledged = new Set<string>();
    let stopStreams = false;
    const current = service;
    const streams = [0, 1, 2, 3].map(async (stream) => {
      for (let batch = 0; !stopStreams && batch < 200; batch++) {
        sent.push({ stream, batch });
        try {
          const answer = await current.request('POST', '/v1/interactions', batchOf(stream, batch, SIZE, CONTACTS));
          if (answer.status === 200) {
            expect(answer.body).toMatchObject({ accepted: SIZE, duplicates: 0 });
            acknowledged.add(`${stream}/${batch}`);
          }
        } catch {
          return; // the process died under this request
        }
      }
    });
    await eventually(() => Promise.resolve(acknowledged.size >= 8 ? true : undefined), 30_000, 'a few acknowledged batches');
    await sleep(150);
    await service.kill9();
    stopStreams = true;
    await Promise.all(streams);
    expect(acknowledged.size).toBeGreaterThan(0);
    expect(sent.length).toBeGreaterThan(acknowledged.size);

    service = fixture.service = await startService(env);
    let resentCommitted = 0;
    let token = '';
    for (const { stream, batch } of sent) {
      const answer = await service.request('POST', '/v1/interactions', batchOf(stream, batch, SIZE, CONTACTS));
      expect(answer.status).toBe(200);
      token = answer.body.token;
      if (acknowledged.has(`${stream}/${batch}`)) {
        expect(answer.body).toMatchObject({ accepted: 0, duplicates: SIZE });
      } else {
        // All or nothing: a batch cut off by the kill either committed before it (and only its answer was lost) or not at all.
        expect([SIZE, 0]).toContain(answer.body.accepted);
        if (answer.body.accepted === 0) resentCommitted++;
      }
    }
    const stored = await database.db.query<{ n: number; distinct: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct FROM interactions',
    );
    expect(stored.rows[0]).toEqual({ n: sent.length * SIZE, distinct: sent.length * SIZE });
    expect(resentCommitted).toBeLessThanOrEqual(4);
    if (process.env.RELIABILITY_REPORT) console.log({ sent: sent.length, acknowledged: acknowledged.size, resentCommitted });

    // Scores for lists (anchors) = scores from the ledger = scores from a publish that recomputes everything.
    const listed = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string; score: number }[]; nextCursor: string | null } } = await service.request(
        'GET',
        `/v1/contacts?profileId=${profileId}&limit=1000&consistency=${token}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const item of page.body.items) listed.set(item.id, item.score);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(listed.size).toBe(CONTACTS);
    for (const contactId of [...listed.keys()].slice(0, 40)) {
      const single = await service.request('GET', `/v1/profiles/${profileId}/scores/${contactId}`);
      expect(single.body.score).toBeCloseTo(listed.get(contactId)!, 1);
    }
    const republished = await service.request('POST', `/v1/profiles/${profileId}/publish`, {});
    await eventually(
      async () => ((await service.request('GET', `/v1/jobs/${republished.body.job.id}`)).body.state === 'succeeded' ? true : undefined),
      60_000,
      'the republish',
    );
    const recomputed = await service.request('GET', `/v1/contacts?profileId=${profileId}&limit=1000`);
    for (const item of recomputed.body.items as { id: string; score: number }[]) expect(item.score).toBeCloseTo(listed.get(item.id)!, 1);
  }, 120_000);
});
