import { getJob } from '../store/jobs';
import type { AppContext } from './context';
import { notFound } from './errors';

/** A job as people follow it: progress, rate and time left while it runs, its result once it succeeded. */
export async function jobProgress(ctx: AppContext, workspaceId: string, id: string) {
  const job = await getJob(ctx.db, workspaceId, id);
  if (!job) throw notFound(`No job ${id}.`);
  const elapsedSeconds = job.startedAt ? Math.max(0.001, (ctx.clock.now().getTime() - job.startedAt.getTime()) / 1000) : null;
  const ratePerSecond =
    job.state === 'running' && elapsedSeconds !== null && job.done > 0 ? Math.round((job.done / elapsedSeconds) * 10) / 10 : null;
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    total: job.total,
    done: job.done,
    percent: job.state === 'succeeded' ? 100 : job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 1000) / 10) : 0,
    ratePerSecond,
    secondsLeft: ratePerSecond ? Math.round((job.total - job.done) / ratePerSecond) : null,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    ...(job.error && job.state !== 'succeeded' ? { error: job.error } : {}),
    ...(job.state === 'succeeded' && job.result !== null ? { result: job.result } : {}),
  };
}
