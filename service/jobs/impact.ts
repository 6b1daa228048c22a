import type { ActiveVersion } from '../scoring/engine';
import { contactFact } from '../scoring/evaluate';
import { round2, ScoreModel } from '../scoring/math';
import { compileProfile, type ProfileDocument } from '../scoring/profile';
import { groupBy } from '../scoring/engine';
import { adjustmentsOf } from '../store/adjustments';
import { contactIdsAfter, countContacts, getContacts } from '../store/contacts';
import { interactionsOfContacts } from '../store/interactions';
import { finishJob, recordProgress, type Job } from '../store/jobs';
import { watchedVersion } from '../store/profiles';
import { rawScoresOf } from '../store/score-list';
import { JobLost, type JobContext } from './job-context';

export type ImpactPayload = { profileId: string; document: ProfileDocument; liveVersionId: number | null };

type Mover = {
  contactId: string;
  name: string | null;
  live: number | null;
  draft: number;
  delta: number;
  liveBand: string | null;
  draftBand: string | null;
};

export type ImpactReport = {
  at: string;
  contacts: number;
  /** Contacts whose band under the document differs from their band under the live version. */
  changedBand: number;
  liveVersion: number | null;
  distribution: { band: string | null; color: string | null; live: number; draft: number }[];
  /** Contacts moving from one band to another (only actual moves). */
  moves: { from: string | null; to: string | null; count: number }[];
  averageLive: number | null;
  averageDraft: number;
  /** The ten contacts the document moves most, each way. */
  risers: Mover[];
  fallers: Mover[];
};

const TOP = 10;

/**
 * What publishing a document would do to every contact, compared with the live version: each
 * contact is scored with the document from all its interactions and adjustments (as a publish would),
 * nothing is written. Progress is recorded per batch; a retried job starts over.
 */
export async function runImpactJob(job: Job, context: JobContext): Promise<'finished'> {
  const { db, clock, engine } = context;
  const payload = job.payload as ImpactPayload;
  const now = clock.now().getTime();
  const compiled = compileProfile(payload.document);
  const draft = { profile: compiled, model: new ScoreModel(compiled) };
  const liveRow = payload.liveVersionId === null ? undefined : await watchedVersion(db, job.workspaceId, payload.liveVersionId);
  const live: ActiveVersion | undefined = liveRow && liveRow.state === 'live' ? engine.activate(liveRow) : undefined;
  if (live) await engine.refreshStale(db, job.workspaceId, live, now);

  const total = await countContacts(db, job.workspaceId);
  const bandsOf = (model: ScoreModel, score: number) => model.bandOf(score)?.name ?? null;
  const distribution = new Map<string | null, { live: number; draft: number }>();
  const count = (band: string | null, which: 'live' | 'draft') => {
    const entry = distribution.get(band) ?? { live: 0, draft: 0 };
    entry[which]++;
    distribution.set(band, entry);
  };
  const moves = new Map<string, { from: string | null; to: string | null; count: number }>();
  let changedBand = 0;
  let sumLive = 0;
  let sumDraft = 0;
  const movers: Mover[] = [];
  let done = 0;
  let cursor: string | null = null;
  for (;;) {
    const ids = await contactIdsAfter(db, job.workspaceId, cursor, context.batchSize);
    if (ids.length === 0) break;
    const [contacts, interactions, adjustments, liveRaw] = await Promise.all([
      getContacts(db, job.workspaceId, ids),
      interactionsOfContacts(db, job.workspaceId, ids),
      adjustmentsOf(db, job.workspaceId, payload.profileId, ids),
      live
        ? rawScoresOf(db, job.workspaceId, live.id, live.model.decays, live.model.timeKey(now), ids)
        : Promise.resolve(new Map<string, number>()),
    ]);
    const interactionsBy = groupBy(interactions, (interaction) => interaction.contactId);
    const adjustmentsBy = groupBy(adjustments, (adjustment) => adjustment.contactId);
    for (const contact of contacts) {
      const entries = engine.entriesFromHistory(
        draft,
        contactFact(contact),
        interactionsBy.get(contact.id) ?? [],
        adjustmentsBy.get(contact.id) ?? [],
        now,
      );
      const draftScore = draft.model.report(draft.model.rawAt(entries, now));
      const liveScore = live ? live.model.report(liveRaw.get(contact.id) ?? 0) : null;
      const draftBand = bandsOf(draft.model, draftScore);
      const liveBand = live && liveScore !== null ? bandsOf(live.model, liveScore) : null;
      count(draftBand, 'draft');
      if (live) count(liveBand, 'live');
      sumDraft += draftScore;
      if (liveScore !== null) sumLive += liveScore;
      if (live && draftBand !== liveBand) {
        changedBand++;
        const key = `${liveBand}\u0000${draftBand}`;
        const move = moves.get(key) ?? { from: liveBand, to: draftBand, count: 0 };
        move.count++;
        moves.set(key, move);
      }
      const delta = round2(draftScore - (liveScore ?? 0));
      if (delta !== 0) {
        movers.push({ contactId: contact.id, name: contact.name, live: liveScore, draft: draftScore, delta, liveBand, draftBand });
        // Keep only the extremes in memory, however many contacts there are.
        if (movers.length > 4 * TOP) {
          movers.sort((x, y) => y.delta - x.delta);
          movers.splice(TOP, movers.length - 2 * TOP);
        }
      }
    }
    done += contacts.length;
    cursor = ids[ids.length - 1]!;
    const owned = await recordProgress(
      db,
      job,
      context.workerId,
      { done, total: Math.max(total, done), cursor },
      clock.now(),
      context.leaseMs,
    );
    if (!owned) throw new JobLost(`job ${job.id} was taken over by another worker`);
  }
  movers.sort((x, y) => y.delta - x.delta);
  const bands = [...compiled.bands, ...(live?.profile.bands ?? []).filter((band) => !compiled.bands.some((own) => own.name === band.name))];
  const order = [...bands.map((band) => band.name), null];
  const colors = new Map(bands.map((band) => [band.name, band.color]));
  const report: ImpactReport = {
    at: new Date(now).toISOString(),
    contacts: done,
    changedBand,
    liveVersion: live?.version ?? null,
    distribution: [...distribution.entries()]
      .sort((x, y) => order.indexOf(x[0]) - order.indexOf(y[0]))
      .map(([band, counts]) => ({ band, color: band === null ? null : (colors.get(band) ?? null), ...counts })),
    moves: [...moves.values()].sort((x, y) => y.count - x.count),
    averageLive: live && done > 0 ? round2(sumLive / done) : null,
    averageDraft: done > 0 ? round2(sumDraft / done) : 0,
    risers: movers.filter((mover) => mover.delta > 0).slice(0, TOP),
    fallers: movers
      .filter((mover) => mover.delta < 0)
      .reverse()
      .slice(0, TOP),
  };
  await finishJob(db, job, context.workerId, 'succeeded', clock.now(), undefined, report);
  return 'finished';
}
