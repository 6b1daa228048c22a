import { history } from '../scoring/explanations';
import { DAY_MS } from '../scoring/math';
import { readScore, type ScoreAnswer } from '../scoring/score-answer';
import { insertAdjustment } from '../store/adjustments';
import { getContact } from '../store/contacts';
import { transaction } from '../store/db';
import { appendScoreEvents } from '../store/scoring-log';
import { contactEntries } from '../scoring/history';
import { readAfter } from './consistency';
import type { Actor, AppContext } from './context';
import { invalid, notFound } from './errors';
import { requireLiveVersion } from './profiles';

/** Reading a contact's score (now or at any moment), its history, and adjusting it. */

export async function scoreOf(
  ctx: AppContext,
  workspaceId: string,
  profileId: string,
  contactId: string,
  t: number,
  consistency?: string,
): Promise<ScoreAnswer> {
  await readAfter(ctx, consistency, [contactId]);
  const version = await requireLiveVersion(ctx, workspaceId, profileId);
  const answer = await readScore(ctx.db, workspaceId, version, contactId, t, { thresholds: version.thresholds });
  if (!answer) throw notFound(`No contact ${contactId}.`);
  return answer;
}

/** At most this many points per series. */
const MAX_POINTS = 1000;

export async function scoreHistory(
  ctx: AppContext,
  workspaceId: string,
  profileId: string,
  contactId: string,
  range: { from?: number; to?: number; interval: 'day' | 'week'; consistency?: string },
) {
  await readAfter(ctx, range.consistency, [contactId]);
  const step = range.interval === 'week' ? 7 * DAY_MS : DAY_MS;
  const to = range.to ?? ctx.clock.now().getTime();
  const from = range.from ?? to - (range.interval === 'week' ? 26 : 30) * step;
  if (from > to) throw invalid('from is after to.', [{ path: 'from', message: 'after to' }]);
  if ((to - from) / step > MAX_POINTS)
    throw invalid(`At most ${MAX_POINTS} points per series; narrow from–to or use interval=week.`, [
      { path: 'from', message: 'too far before to' },
    ]);
  const version = await requireLiveVersion(ctx, workspaceId, profileId);
  if (!(await getContact(ctx.db, workspaceId, contactId))) throw notFound(`No contact ${contactId}.`);
  const entries = await contactEntries(ctx.db, workspaceId, version, contactId);
  return { profileId, contactId, interval: range.interval, points: history(version.model, entries, from, to, step) };
}

/**
 * Adds to, subtracts from or sets a contact's score in one profile, with a reason: stored and appended
 * to the scoring log in one transaction (so it is applied in order with the contact's interactions,
 * under the live version and one being published), answered with the new score once scored.
 */
export async function adjustScore(
  ctx: AppContext,
  actor: Actor,
  profileId: string,
  contactId: string,
  change: { delta?: number; set?: number; reason: string },
): Promise<ScoreAnswer> {
  await requireLiveVersion(ctx, actor.workspaceId, profileId);
  const now = ctx.clock.now();
  const position = await transaction(ctx.db, async (client) => {
    if (!(await getContact(client, actor.workspaceId, contactId))) throw notFound(`No contact ${contactId}.`);
    const mode = change.set === undefined ? 'delta' : 'set';
    const adjustment = await insertAdjustment(client, actor.workspaceId, {
      profileId,
      contactId,
      at: now.getTime(),
      mode,
      value: (mode === 'set' ? change.set : change.delta)!,
      reason: change.reason,
      keyId: actor.keyId,
      keyName: actor.keyName,
    });
    return appendScoreEvents(client, actor.workspaceId, [{ kind: 'adjustment', contactId, payload: { adjustmentId: adjustment.id } }], now);
  });
  await ctx.progress.waitFor(position, [contactId], ctx.config.consistencyTimeoutMs);
  return scoreOf(ctx, actor.workspaceId, profileId, contactId, ctx.clock.now().getTime());
}
