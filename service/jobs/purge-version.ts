import { finishJob, type Job } from '../store/jobs';
import { deleteVersionRows } from '../store/maintenance';
import type { JobContext } from './job-context';

const CHUNK = 20_000;

/** Removes what a replaced version left behind, a chunk per transaction. */
export async function runPurgeJob(job: Job, context: JobContext): Promise<'finished'> {
  const versionId = (job.payload as { versionId: number }).versionId;
  for (const table of ['score_ledger', 'scores'] as const) {
    while ((await deleteVersionRows(context.db, table, job.workspaceId, versionId, CHUNK)) > 0);
  }
  await finishJob(context.db, job, context.workerId, 'succeeded', context.clock.now());
  return 'finished';
}
