import { transaction } from '../store/db';
import { finishJob, type Job } from '../store/jobs';
import { activeVersions } from '../store/profiles';
import { lockPartitions } from '../store/scoring-partitions';
import type { JobContext } from './job-context';

/**
 * After a subscription added a level to watch: recomputes every contact's due time under the
 * profile's active versions, a page per transaction with the scoring partitions held.
 */
export async function runRescheduleJob(job: Job, context: JobContext): Promise<'finished'> {
  const { db, engine } = context;
  const profileId = (job.payload as { profileId: string }).profileId;
  const versions = (await activeVersions(db, job.workspaceId))
    .filter((row) => row.profileId === profileId)
    .map((row) => engine.activate(row));
  for (const version of versions) {
    let after: string | null = null;
    do {
      after = await transaction(db, async (client) => {
        await lockPartitions(client, null, 'share');
        return engine.reschedule(client, job.workspaceId, version, after, context.batchSize);
      });
    } while (after !== null);
  }
  await finishJob(db, job, context.workerId, 'succeeded', context.clock.now());
  return 'finished';
}
