import { randomUUID } from 'node:crypto';
import { contactCards, type ContactCard } from '../store/contacts';
import type { Queryable } from '../store/db';
import { insertDeliveries, type NewDelivery } from '../store/deliveries';
import { interactionsInLast30Days } from '../store/interactions';
import { activeSubscriptions, type Subscription } from '../store/subscriptions';
import type { ActiveVersion, ChangeCause, ChangeSink, ScoreChange } from './engine';
import { contactFact } from './evaluate';
import { DAY_MS, round2, type ScoreModel } from './math';
import { SegmentWatcher } from './segment-watcher';
import { strongestMemberOf, suggest } from './suggestions';

/**
 * Threshold crossings (docs/crossings.md): whatever moved a score — an interaction, an adjustment, a contact
 * change, a publish, or time alone — the path from the previous anchor to now is searched for
 * crossings of the levels subscriptions watch, each with the moment it really happened. Matching
 * subscriptions get a delivery in the outbox, in the same transaction as the change.
 */

export type Crossing = {
  at: number;
  /** Raw level crossed and the shown score it stands for. */
  level: number;
  direction: 'down' | 'up';
  /** Raw score just before and just after the crossing. */
  before: number;
  after: number;
  /** Raw score before the change that crossed (for time: where the decay started). */
  previous: number;
};

/**
 * Every crossing of `levels` along a change's path, in time order. Under a profile's minInteractions a
 * contact without a score crosses nothing: where it has none after a jump (or along a segment), that
 * part is silent; where it gains one, it jumps from "no score" — the range minimum — to its score.
 */
export function findCrossings(model: ScoreModel, change: ScoreChange, now: number, levels: readonly number[]): Crossing[] {
  const found: Crossing[] = [];
  const jump = (at: number, from: number, after: number, qualifiedBefore = true, qualifiedAfter = true) => {
    if (!qualifiedAfter) return;
    const before = qualifiedBefore ? from : model.noScoreRaw;
    for (const level of levels) {
      if (before >= level && after < level) found.push({ at, level, direction: 'down', before, after, previous: before });
      else if (before < level && after >= level) found.push({ at, level, direction: 'up', before, after, previous: before });
    }
  };
  for (const piece of change.path) {
    if (piece.type === 'jump') {
      jump(piece.at, piece.before, piece.after, piece.qualifiedBefore, piece.qualifiedAfter);
      continue;
    }
    if (piece.qualified === false) continue;
    const start = piece.s + piece.a;
    const within: Crossing[] = [];
    for (const level of levels) {
      const crossing = model.segmentCrossing(piece.from, piece.to, piece.s, piece.a, level);
      if (!crossing) continue;
      const after = piece.s + piece.a * model.decay(crossing.at - piece.from);
      within.push({ at: crossing.at, level, direction: crossing.direction, before: level, after, previous: start });
    }
    found.push(...within.sort((x, y) => x.at - y.at));
  }
  jump(now, change.before, change.after, change.qualifiedBefore, change.qualifiedAfter);
  return found;
}

/** One moment at which a contact crossed levels (crossings at one instant make one band change). */
type Instant = { contact: ContactCard; at: number; group: Crossing[] };

export class CrossingDetector implements ChangeSink {
  /** Segment boundaries are crossed too: entries and exits of the segments subscriptions watch. */
  private readonly segments = new SegmentWatcher();

  async touched(...args: Parameters<NonNullable<ChangeSink['touched']>>): Promise<void> {
    await this.segments.touched(...args);
  }

  async record(...[db, workspaceId, version, changes, now, cause]: Parameters<ChangeSink['record']>): Promise<void> {
    await this.segments.scoreChanges(db, workspaceId, version, changes, now, cause);
    // Only the version reads are served from speaks for the profile; a publish in progress stays silent.
    if (version.state !== 'live' || changes.length === 0) return;
    if (version.thresholds.length === 0 && version.profile.bands.length === 0) return;
    const subscriptions = await activeSubscriptions(db, workspaceId, version.profileId);
    if (subscriptions.length === 0) return;
    const { model } = version;
    const shownByRaw = new Map<number, number>();
    for (const subscription of subscriptions) {
      if (subscription.threshold !== null) shownByRaw.set(model.rawThreshold(subscription.threshold), subscription.threshold);
    }
    const watchesBands = subscriptions.some((subscription) => subscription.event === 'band.changed');
    if (watchesBands) for (const edge of model.bandEdges()) shownByRaw.set(model.rawThreshold(edge), edge);
    const levels = [...shownByRaw.keys()].filter((level) => Number.isFinite(level));
    if (levels.length === 0) return;

    const crossingsByContact = new Map<string, Crossing[]>();
    for (const change of changes) {
      const crossings = findCrossings(model, change, now, levels);
      if (crossings.length > 0) crossingsByContact.set(change.contactId, crossings);
    }
    if (crossingsByContact.size === 0) return;
    // Everything the deliveries need, in a few round trips for the whole batch: the contacts, and
    // (when the profile has suggestions) their activity at each crossing moment.
    const contacts = await contactCards(db, workspaceId, [...crossingsByContact.keys()]);
    const instants: Instant[] = [];
    for (const [contactId, crossings] of crossingsByContact) {
      const contact = contacts.get(contactId);
      if (!contact) continue;
      const byMoment = new Map<number, Crossing[]>();
      for (const crossing of crossings) byMoment.set(crossing.at, [...(byMoment.get(crossing.at) ?? []), crossing]);
      for (const [at, group] of [...byMoment].sort((x, y) => x[0] - y[0])) instants.push({ contact, at, group });
    }
    const recentCounts =
      version.profile.suggestions.length > 0
        ? await interactionsInLast30Days(
            db,
            workspaceId,
            instants.map((instant) => ({ contactId: instant.contact.id, at: instant.at })),
          )
        : [];
    const deliveries: NewDelivery[] = [];
    for (const [index, instant] of instants.entries()) {
      deliveries.push(
        ...(await this.events(db, workspaceId, version, subscriptions, instant, recentCounts[index] ?? 0, shownByRaw, cause)),
      );
    }
    await insertDeliveries(db, workspaceId, deliveries, new Date(now));
  }

  private async events(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    subscriptions: Subscription[],
    { contact, at, group }: Instant,
    interactionsLast30d: number,
    shownByRaw: Map<number, number>,
    cause: ChangeCause,
  ): Promise<NewDelivery[]> {
    const { model } = version;
    const inSegment = (subscription: Subscription) =>
      !subscription.tags || subscription.tags.length === 0 || subscription.tags.some((tag) => contact.tags.includes(tag));
    const relevant = subscriptions.filter((subscription) => inSegment(subscription) && subscription.createdAt.getTime() <= at);
    if (relevant.length === 0) return [];
    const band = (raw: number) => model.bandOf(model.report(raw));
    const bandView = (raw: number) => model.bandView(model.report(raw));
    const first = group[0];
    const last = group[group.length - 1];
    const facts = suggestionFacts(version, contact, at, model.report(last.after), model.report(first.previous), interactionsLast30d);
    const suggestions = await suggest(version, facts, strongestMemberOf(db, workspaceId, version, contact.id, at));
    const payload = (subscription: Subscription, crossing: Crossing | null) => ({
      type: subscription.event,
      occurredAt: new Date(at).toISOString(),
      profile: { id: version.profileId, name: version.profileName },
      contact: {
        id: contact.id,
        name: contact.name,
        email: contact.email,
        tags: contact.tags,
        ownerId: contact.ownerId,
        accountId: contact.accountId,
      },
      score: model.report((crossing ?? last).after),
      previousScore: model.report((crossing ?? first).previous),
      threshold: crossing ? shownByRaw.get(crossing.level)! : null,
      direction: crossing ? crossing.direction : last.after < first.before ? 'down' : 'up',
      band: bandView((crossing ?? last).after),
      previousBand: bandView((crossing ?? first).before),
      cause,
      suggestions,
    });
    const deliveries: NewDelivery[] = [];
    for (const subscription of relevant) {
      if (subscription.event === 'band.changed') {
        if (band(first.before)?.name === band(last.after)?.name) continue;
        deliveries.push(delivery(subscription, contact.id, at, payload(subscription, null)));
        continue;
      }
      for (const crossing of group) {
        if (model.rawThreshold(subscription.threshold!) !== crossing.level) continue;
        const wanted =
          subscription.event === 'score.crossed' ||
          (subscription.event === 'score.dropped_below' ? crossing.direction === 'down' : crossing.direction === 'up');
        if (wanted) deliveries.push(delivery(subscription, contact.id, at, payload(subscription, crossing)));
      }
    }
    return deliveries;
  }
}

function suggestionFacts(
  version: ActiveVersion,
  contact: ContactCard,
  at: number,
  score: number,
  previousScore: number,
  interactionsLast30d: number,
) {
  const lastAt = contact.lastInteractionAt ? Math.min(contact.lastInteractionAt.getTime(), at) : null;
  return {
    score,
    previousScore,
    delta: round2(score - previousScore),
    band: version.model.bandOf(score)?.name ?? null,
    daysSinceLastInteraction: lastAt === null ? null : round2((at - lastAt) / DAY_MS),
    lastInteractionType: contact.lastInteractionType,
    interactionsLast30d,
    contact: contactFact(contact),
    contactName: contact.name,
  };
}

function delivery(subscription: Subscription, contactId: string, at: number, body: Record<string, unknown>): NewDelivery {
  const id = randomUUID();
  return { id, subscriptionId: subscription.id, contactId, type: subscription.event, occurredAt: at, payload: { id, ...body } };
}
