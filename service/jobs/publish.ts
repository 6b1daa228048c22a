import { retakeSegmentMembers } from '../scoring/segment-watcher';
import { contactIdsAfter, countContacts } from '../store/contacts';
import { transaction, type Db } from '../store/db';
import { finishJob, insertJob, recordProgress, type Job } from '../store/jobs';
import { analyzeScoringTables } from '../store/maintenance';
import { getVersion, markVersionFailed, switchLiveVersion, watchedVersion } from '../store/profiles';
import { lockPartitions } from '../store/scoring-partitions';
import { JobLost, type JobContext } from './job-context';

export type PublishPayload = { profileId: string; versionId: number; notify: boolean };

/**
 * Scores every contact of the workspace under a new version, in batches of contacts ordered by id.
 * Each batch commits together with the job's cursor and progress, so a job whose worker died is
 * resumed (by any instance, once the lease runs out) from the last committed batch. Meanwhile
 * the scoring workers already score the new version too (each batch holds the partitions, so a
 * contact is never written by both), and reads keep using the previous one; the switch happens in
 * one transaction at the end.
 */
export async function runPublishJob(job: Job, context: JobContext): Promise<'finished' | 'stopped'> {
  const { db, clock, engine } = context;
  const payload = job.payload as PublishPayload;
  const versionRow = await getVersion(db, job.workspaceId, payload.versionId);
  if (!versionRow || versionRow.state !== 'publishing') {
    await finishJob(
      db,
      job,
      context.workerId,
      'failed',
      clock.now(),
      `version ${payload.versionId} is no longer being published (profile archived or replaced)`,
    );
    return 'finished';
  }
  const version = engine.activate((await watchedVersion(db, job.workspaceId, payload.versionId))!);
  let { done, cursor } = job;
  let total = job.total;
  if (total === 0) total = await countContacts(db, job.workspaceId);
  let batches = 0;
  const parallel = context.parallelBatches ?? 2;
  for (;;) {
    const ids = await contactIdsAfter(db, job.workspaceId, cursor, context.batchSize * parallel);
    if (ids.length === 0) break;
    const next = ids[ids.length - 1];
    // Batches of disjoint contacts side by side, each in its own transaction: PostgreSQL and this
    // process then work at once. Progress is recorded once all have committed; a crash before that
    // only redoes them (a batch replaces what it wrote before).
    const chunks = Array.from({ length: Math.ceil(ids.length / context.batchSize) }, (_, index) =>
      ids.slice(index * context.batchSize, (index + 1) * context.batchSize),
    );
    await Promise.all(
      chunks.map((chunk) =>
        transaction(db, async (client) => {
          // No scoring pass writes these contacts meanwhile; what the log holds beyond the partitions' positions is scored after, under both versions.
          await lockPartitions(client, null, 'share');
          await engine.recompute(client, job.workspaceId, version, chunk, clock.now().getTime());
        }),
      ),
    );
    const owned = await recordProgress(
      db,
      job,
      context.workerId,
      { done: done + ids.length, total: Math.max(total, done + ids.length), cursor: next },
      clock.now(),
      context.leaseMs,
    );
    if (!owned) throw new JobLost(`job ${job.id} was taken over by another worker`);
    // The planner must learn early that this version's ledger is no longer empty, or it keeps choosing
    // plans (for ingest too) that read the whole version: statistics after the first round and at a quarter.
    if (done === 0 || (done < total / 4 && done + ids.length >= total / 4)) await analyzeScoring(db, context.logger);
    done += ids.length;
    total = Math.max(total, done);
    cursor = next;
    batches += chunks.length;
    if (context.stopAfterBatches !== undefined && batches >= context.stopAfterBatches) return 'stopped';
    if (context.shouldStop?.()) return 'stopped';
  }
  await transaction(db, async (client) => {
    await lockPartitions(client, null, 'share');
    const now = clock.now();
    const current = await getVersion(client, job.workspaceId, payload.versionId);
    if (current?.state !== 'publishing') throw new Error(`version ${payload.versionId} is no longer being published`);
    const previous = await switchLiveVersion(client, job.workspaceId, payload.profileId, payload.versionId, now);
    if (previous !== null) {
      if (payload.notify) {
        const [currentRow, previousRow] = [
          await watchedVersion(client, job.workspaceId, payload.versionId),
          await watchedVersion(client, job.workspaceId, previous),
        ];
        await engine.notifyPublish(client, job.workspaceId, engine.activate(currentRow!), engine.activate(previousRow!), now.getTime());
      } else {
        const currentRow = await watchedVersion(client, job.workspaceId, payload.versionId);
        await retakeSegmentMembers(client, job.workspaceId, engine.activate(currentRow!), now.getTime());
      }
      await insertJob(client, job.workspaceId, 'purge-version', { versionId: previous }, now);
    }
    const owned = await finishJob(client, job, context.workerId, 'succeeded', now);
    if (!owned) throw new JobLost(`job ${job.id} was taken over by another worker`);
  });
  // A publish rewrites the ledger and the anchors of a whole workspace: refresh the planner's statistics
  // now rather than when autovacuum gets to it, so reads plan with the new sizes.
  await analyzeScoring(db, context.logger);
  context.logger.info(
    { job: job.id, version: versionRow.version, profile: payload.profileId, contacts: done },
    'profile version published',
  );
  return 'finished';
}

async function analyzeScoring(db: Db, logger: JobContext['logger']): Promise<void> {
  await analyzeScoringTables(db).catch((error: unknown) =>
    logger.warn({ err: error }, 'could not refresh the statistics of the scoring tables'),
  );
}

export async function failPublishJob(job: Job, context: JobContext, error: Error): Promise<void> {
  const payload = job.payload as PublishPayload;
  await transaction(context.db, async (client) => {
    await markVersionFailed(client, job.workspaceId, payload.versionId);
    await finishJob(client, job, context.workerId, 'failed', context.clock.now(), error.message);
  });
}
