import { randomUUID } from 'node:crypto';
import { contactCards, matchingContactIds, type ContactCard } from '../store/contacts';
import { transaction, type Db, type Queryable } from '../store/db';
import { insertDeliveries, type NewDelivery } from '../store/deliveries';
import { loadScores } from '../store/scores';
import { lockPartitions, partitionOf } from '../store/scoring-partitions';
import {
  applyMembershipChanges,
  lastInteractionsBetween,
  markSwept,
  membershipsOf,
  replaceMembers,
  segmentsToSweep,
  watchedSegments,
  type MembershipChange,
  type Segment,
} from '../store/segments';
import { activeSegmentSubscriptions, type Subscription } from '../store/subscriptions';
import { findCrossings } from './crossings';
import type { ActiveVersion, ChangeCause, ScoreChange, ScoringEngine } from './engine';
import { contactFilterOf, rawScoreBounds, segmentHolds, segmentWindows } from './segments';

/**
 * Segment membership as it changes (issue 16, docs/crossings.md): for the segments a subscription
 * watches, whatever moves a contact — a score change on the segment's profile (with the moments decay
 * carried it across the segment's bounds), an interaction, a contact change, an adjustment, a publish,
 * or a last-interaction window passing — is checked against the stored members, and every entry or
 * exit becomes a `segment.entered` / `segment.left` delivery in the outbox, in the same transaction,
 * with the moment it happened. Work is O(contacts that changed) per pass.
 */

export type SegmentCause = ChangeCause | 'window';

/** One contact to decide at one moment; `raw` gives its score in a profile then, when the caller knows it. */
type Evaluation = { contactId: string; at: number; cause: SegmentCause; raw?: (segment: Segment) => number | null | undefined };

export class SegmentWatcher {
  /**
   * Score changes of a version (what the crossing detector is told): each change's path is searched
   * for the moments it crossed a watched segment's score bounds, and the contact decided at each of
   * those moments and at the change itself.
   */
  async scoreChanges(db: Queryable, workspaceId: string, version: ActiveVersion, changes: ScoreChange[], now: number, cause: ChangeCause) {
    if (version.state !== 'live' || !version.segmentsWatch || changes.length === 0) return;
    const segments = (await watchedSegments(db, workspaceId)).filter((segment) => segment.filter.profileId === version.profileId);
    if (segments.length === 0) return;
    const bounds = new Map(segments.map((segment) => [segment.id, boundsOf(version, segment)]));
    const levels = [...new Set([...bounds.values()].flatMap((bound) => (bound ? [bound.min, bound.max] : [])))].filter(Number.isFinite);
    const evaluations: Evaluation[] = [];
    for (const change of changes) {
      // Without enough interactions a contact shows no score (minInteractions): it is in no score-bounded segment.
      const qualified = change.qualifiedAfter;
      for (const crossing of findCrossings(version.model, change, now, levels)) {
        if (crossing.at >= now) continue;
        evaluations.push({ contactId: change.contactId, at: crossing.at, cause, raw: () => crossing.after });
      }
      evaluations.push({ contactId: change.contactId, at: now, cause, raw: () => (qualified ? change.after : null) });
    }
    await this.decide(db, workspaceId, segments, evaluations, new Map([[version.profileId, version]]));
  }

  /** Contacts moved by the log (interactions, contact changes, adjustments): decided at their last step. */
  async touched(
    db: Queryable,
    workspaceId: string,
    contacts: ReadonlyMap<string, { at: number; cause: ChangeCause }>,
    versions: readonly ActiveVersion[],
  ): Promise<void> {
    if (contacts.size === 0) return;
    const segments = await watchedSegments(db, workspaceId);
    if (segments.length === 0) return;
    const live = new Map(versions.filter((version) => version.state === 'live').map((version) => [version.profileId, version]));
    const evaluations = [...contacts].map(([contactId, { at, cause }]) => ({ contactId, at, cause }));
    await this.decide(db, workspaceId, segments, evaluations, live);
  }

  /** Contacts whose last-interaction window passed (the sweep found them), each decided at the moment it passed. */
  async windowsPassed(
    db: Queryable,
    workspaceId: string,
    segments: readonly Segment[],
    passed: readonly { contactId: string; at: number }[],
    live: ReadonlyMap<string, ActiveVersion>,
  ): Promise<void> {
    if (passed.length === 0) return;
    await this.decide(
      db,
      workspaceId,
      segments,
      passed.map((item) => ({ ...item, cause: 'window' as const })),
      live,
    );
  }

  private async decide(
    db: Queryable,
    workspaceId: string,
    segments: readonly Segment[],
    evaluations: Evaluation[],
    live: ReadonlyMap<string, ActiveVersion>,
  ): Promise<void> {
    const contactIds = [...new Set(evaluations.map((evaluation) => evaluation.contactId))];
    const cards = await contactCards(db, workspaceId, contactIds);
    // Scores in each segment profile's live version, where a caller did not say (read from the anchors).
    const stored = new Map<string, Awaited<ReturnType<typeof loadScores>>>();
    for (const profileId of new Set(segments.flatMap((segment) => (segment.filter.profileId ? [segment.filter.profileId] : [])))) {
      const version = live.get(profileId);
      if (version) stored.set(profileId, await loadScores(db, workspaceId, version.id, contactIds));
    }
    const members = await membershipsOf(
      db,
      workspaceId,
      segments.map((segment) => segment.id),
      contactIds,
    );
    const changes: (MembershipChange & { cause: SegmentCause; card: ContactCard; segment: Segment; raw: number | null })[] = [];
    for (const evaluation of [...evaluations].sort((x, y) => x.at - y.at)) {
      const card = cards.get(evaluation.contactId);
      if (!card) continue;
      for (const segment of segments) {
        const profileId = segment.filter.profileId;
        const version = profileId ? live.get(profileId) : undefined;
        let raw: number | null = null;
        if (profileId && version) {
          const given = evaluation.raw?.(segment);
          if (given !== undefined) raw = given;
          else {
            const score = stored.get(profileId)?.get(evaluation.contactId);
            raw =
              score && (score as { qualified?: boolean }).qualified !== false
                ? version.model.rawFromAnchor(score.anchor, Math.max(evaluation.at, score.anchor.tau))
                : null;
          }
        }
        const holds = segmentHolds(segment.filter, version ? boundsOf(version, segment) : null, card, raw, evaluation.at);
        const key = `${segment.id}\n${evaluation.contactId}`;
        if (holds === members.has(key)) continue;
        if (holds) members.add(key);
        else members.delete(key);
        changes.push({
          segmentId: segment.id,
          contactId: evaluation.contactId,
          entered: holds,
          at: new Date(evaluation.at),
          cause: evaluation.cause,
          card,
          segment,
          raw,
        });
      }
    }
    if (changes.length === 0) return;
    await applyMembershipChanges(db, workspaceId, changes);
    const subscriptions = await activeSegmentSubscriptions(db, workspaceId, [...new Set(changes.map((change) => change.segmentId))]);
    const deliveries: NewDelivery[] = [];
    for (const change of changes) {
      const version = change.segment.filter.profileId ? live.get(change.segment.filter.profileId) : undefined;
      for (const subscription of subscriptions) {
        if (subscription.segmentId !== change.segmentId) continue;
        if (subscription.event !== (change.entered ? 'segment.entered' : 'segment.left')) continue;
        if (subscription.createdAt.getTime() > change.at.getTime()) continue;
        deliveries.push(segmentDelivery(subscription, change, version));
      }
    }
    await insertDeliveries(db, workspaceId, deliveries, new Date(Math.max(...changes.map((change) => change.at.getTime()))));
  }
}

function boundsOf(version: ActiveVersion, segment: Segment) {
  return rawScoreBounds(version.model, segment.filter.minScore, segment.filter.maxScore, segment.filter.band);
}

function segmentDelivery(
  subscription: Subscription,
  change: MembershipChange & { cause: SegmentCause; card: ContactCard; segment: Segment; raw: number | null },
  version: ActiveVersion | undefined,
): NewDelivery {
  const id = randomUUID();
  const { card } = change;
  const score = version && change.raw !== null ? version.model.report(change.raw) : null;
  return {
    id,
    subscriptionId: subscription.id,
    contactId: change.contactId,
    type: subscription.event,
    occurredAt: change.at.getTime(),
    payload: {
      id,
      type: subscription.event,
      occurredAt: change.at.toISOString(),
      segment: { id: change.segment.id, name: change.segment.name },
      contact: { id: card.id, name: card.name, email: card.email, tags: card.tags, ownerId: card.ownerId, accountId: card.accountId },
      ...(version
        ? {
            profile: { id: version.profileId, name: version.profileName },
            score,
            band: score === null ? null : version.model.bandView(score),
          }
        : {}),
      cause: change.cause,
    },
  };
}

/** Segments swept per transaction. */
const SWEEP_BATCH = 20;

/**
 * Last-interaction windows passing with time alone (a contact not heard from for 30 days leaves "active
 * in the last 30 days" and enters "silent for 30 days"): for each watched segment with such a window,
 * the contacts whose last interaction fell out of (or into) it since the last sweep are an index range
 * of contact_activity, each decided at the moment its window passed. O(contacts that moved) per sweep;
 * instances share segments (SKIP LOCKED). Returns how many contacts were looked at.
 */
export async function sweepSegmentWindows(db: Db, engine: Pick<ScoringEngine, 'activeVersions'>, now: number): Promise<number> {
  const watcher = new SegmentWatcher();
  let looked = 0;
  for (;;) {
    const swept = await transaction(db, async (client) => {
      const segments = await segmentsToSweep(client, new Date(now), SWEEP_BATCH);
      for (const segment of segments) {
        const since = (segment.sweptUntil ?? segment.membersSince ?? new Date(now)).getTime();
        const passed = new Map<string, number>();
        for (const window of segmentWindows(segment.filter)) {
          for (const row of await lastInteractionsBetween(client, segment.workspaceId, new Date(since - window), new Date(now - window))) {
            // Both kinds of window flip just after lastAt + window (before: strictly older; after: at most that old).
            const at = Math.min(now, row.lastAt.getTime() + window + 1);
            passed.set(row.contactId, Math.max(passed.get(row.contactId) ?? -Infinity, at));
          }
        }
        if (passed.size > 0) {
          await lockPartitions(client, [...new Set([...passed.keys()].map(partitionOf))]);
          const live = new Map(
            (await engine.activeVersions(client, segment.workspaceId))
              .filter((version) => version.state === 'live')
              .map((version) => [version.profileId, version]),
          );
          await watcher.windowsPassed(
            client,
            segment.workspaceId,
            [segment],
            [...passed].map(([contactId, at]) => ({ contactId, at })),
            live,
          );
          looked += passed.size;
        }
        await markSwept(client, segment.workspaceId, segment.id, new Date(now));
      }
      return segments.length;
    });
    if (swept < SWEEP_BATCH) return looked;
  }
}

/**
 * After a publish without `notify`: the watched segments on the profile take their members anew from
 * the new version, silently (a publish with `notify` reports entries and exits like crossings). The
 * caller holds every partition.
 */
export async function retakeSegmentMembers(db: Queryable, workspaceId: string, version: ActiveVersion, now: number): Promise<void> {
  for (const segment of await watchedSegments(db, workspaceId)) {
    if (segment.filter.profileId !== version.profileId) continue;
    const bounds = boundsOf(version, segment);
    const members = bounds
      ? await matchingContactIds(db, workspaceId, contactFilterOf(segment.filter, now), {
          versionId: version.id,
          decays: version.model.decays,
          timeKey: version.model.timeKey(now),
          bounds,
        })
      : [];
    await replaceMembers(db, workspaceId, segment.id, members, new Date(now));
  }
}
