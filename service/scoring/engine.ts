import type pg from 'pg';
import { emptyAnchor, type Anchor, type StoredScore } from '../model/anchor';
import type { InteractionRecord } from '../model/interaction';
import { EntryKind, type Entry, type LedgerEntry } from '../model/ledger';
import { adjustmentsById, adjustmentsOf, type Adjustment } from '../store/adjustments';
import { contactFactsOf, getContacts, recordLastInteractions, type ContactFacts } from '../store/contacts';
import { transaction, type Db, type Queryable } from '../store/db';
import { interactionsOfContacts } from '../store/interactions';
import { deleteLedgerOfContacts, deleteLimitMarks, heldStateRules, insertLedgerEntries } from '../store/ledger';
import { activeVersions, watchedVersion, type VersionRow } from '../store/profiles';
import type { LogEvent } from '../store/scoring-log';
import { lockPartitions, partitionOf } from '../store/scoring-partitions';
import {
  anchorPage,
  deleteScoresOfContacts,
  dueScores,
  loadAnchors,
  loadScores,
  staleContacts,
  writeAnchors,
  writeDueTimes,
  type AnchorWrite,
} from '../store/scores';
import { contactFact, decideLimit, holdingStateRules, matchInteractions, type ContactFact } from './evaluate';
import { entriesOf, loadEntries, loadHistories, type ContactHistory } from './history';
import { ScoreModel, type PathVisitor } from './math';
import { compileProfile, type CompiledProfile, type ProfileDocument } from './profile';

/**
 * One piece of a score's path between two moments: a decay segment or a jump. Under a profile with
 * minInteractions, a segment says whether the contact had a score along it and a jump whether it had
 * one before and after (absent: it had); a moment at which time alone gives or takes away the score
 * is a jump of its own (before = after when no contribution changed then).
 */
export type PathPiece =
  | { type: 'segment'; from: number; to: number; s: number; a: number; qualified?: boolean }
  | { type: 'jump'; at: number; before: number; after: number; qualifiedBefore?: boolean; qualifiedAfter?: boolean };

/** How one contact's score moved in one version, for whoever reacts to crossings. */
export type ScoreChange = {
  contactId: string;
  /** The path from the stored anchor to `now` (time passing, expiries), before this change. */
  path: PathPiece[];
  /** Raw score at `now` before and after the change. */
  before: number;
  after: number;
  /**
   * Whether the contact had a score at `now` before the change and has one after (the profile's
   * minInteractions; always true without it). Without a score before, `before` stands for "no score"
   * (crossings compare the range minimum); without one after, nothing crosses.
   */
  qualifiedBefore: boolean;
  qualifiedAfter: boolean;
  /** Anchor after the change. */
  anchor: Anchor;
};

export type ChangeCause = 'interaction' | 'contact' | 'adjustment' | 'time' | 'publish';

/** Receives every score change inside the transaction that made it (the crossing detector). */
export interface ChangeSink {
  record(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    changes: ScoreChange[],
    now: number,
    cause: ChangeCause,
  ): Promise<void>;
  /**
   * Contacts the log moved in a pass (interactions, contact changes, adjustments), each at its last
   * step, once their scores in every version are written: what moves segment members besides scores.
   */
  touched?(
    db: Queryable,
    workspaceId: string,
    contacts: ReadonlyMap<string, { at: number; cause: ChangeCause }>,
    versions: readonly ActiveVersion[],
  ): Promise<void>;
}

export const silentSink: ChangeSink = { record: () => Promise.resolve() };

export type ActiveVersion = {
  id: number;
  profileId: string;
  profileName: string;
  version: number;
  state: VersionRow['state'];
  profile: CompiledProfile;
  model: ScoreModel;
  /** Thresholds of the profile's active subscriptions. */
  thresholds: number[];
  /** Raw levels whose crossing someone watches (band edges and thresholds): what schedules the contact. */
  levels: number[];
  /** A watched segment filters by this profile's score (read with the version, so score changes skip the segment check otherwise). */
  segmentsWatch: boolean;
};

/** What one contact's events in a log window ask for, in order. */
type Step = {
  at: number;
  cause: 'interaction' | 'contact' | 'adjustment';
  interactions: InteractionRecord[];
  adjustment?: Adjustment;
  created?: boolean;
};

/** Everything a window writes for one version, collected and written together. */
type VersionWrites = {
  anchors: AnchorWrite[];
  ledger: LedgerEntry[];
  unmarks: { contactId: string; at: number; interactionSeq: number; rule: number }[];
  /** Score changes by cause and moment, each group reported to the sink together. */
  changes: Map<ChangeCause, Map<number, { at: number; cause: ChangeCause; changes: ScoreChange[] }>>;
};

/**
 * The write side of scoring: anchors (and the ledger rows that cannot be derived) follow the log in
 * order, one writer per contact (the caller holds the contacts' partitions). Interactions' contributions
 * are derived from the interactions (scoring/history.ts); what is stored is the anchor, state changes,
 * adjustments and limit marks.
 */
export class ScoringEngine {
  private readonly compiled = new Map<number, { profile: CompiledProfile; model: ScoreModel }>();

  constructor(private readonly sink: ChangeSink = silentSink) {}

  /** Versions are immutable, so their compiled form is cached for the life of the process. */
  model(version: Pick<VersionRow, 'id' | 'document'>): { profile: CompiledProfile; model: ScoreModel } {
    let compiled = this.compiled.get(version.id);
    if (!compiled) {
      const profile = compileProfile(version.document as ProfileDocument);
      compiled = { profile, model: new ScoreModel(profile) };
      this.compiled.set(version.id, compiled);
    }
    return compiled;
  }

  activate(row: VersionRow & { profileName: string; thresholds?: number[]; segmentsWatch?: boolean }): ActiveVersion {
    const { profile, model } = this.model(row);
    const thresholds = row.thresholds ?? [];
    const levels = [...new Set([...model.bandEdges(), ...thresholds].map((level) => model.rawThreshold(level)))].filter((level) =>
      Number.isFinite(level),
    );
    return {
      id: row.id,
      profileId: row.profileId,
      profileName: row.profileName,
      version: row.version,
      state: row.state,
      profile,
      model,
      thresholds,
      levels,
      segmentsWatch: row.segmentsWatch ?? false,
    };
  }

  /** The versions that score what happens now: live ones and those being published. */
  async activeVersions(db: Queryable, workspaceId: string): Promise<ActiveVersion[]> {
    return (await activeVersions(db, workspaceId)).map((row) => this.activate(row));
  }

  // -----------------------------------------------------------------------------------------------
  // The log

  /**
   * Scores a window of the log (interactions, contact changes, adjustments) in order, each at the
   * moment it was received, under every active version. The caller holds the partitions of the
   * window's contacts for the whole transaction.
   */
  async scoreLog(client: pg.PoolClient, events: readonly LogEvent[]): Promise<{ interactions: number; contacts: number }> {
    let interactions = 0;
    let contacts = 0;
    for (const [workspaceId, ofWorkspace] of groupBy(events, (event) => event.workspaceId)) {
      const ids = [...new Set(ofWorkspace.map((event) => event.contactId))];
      const stored = new Map((await contactFactsOf(client, workspaceId, ids)).map((contact) => [contact.id, contact]));
      const adjustmentIds = ofWorkspace.flatMap((event) =>
        event.source === 'event' && event.kind === 'adjustment' ? [String(event.payload.adjustmentId)] : [],
      );
      const adjustments = await adjustmentsById(client, workspaceId, adjustmentIds);
      const steps = stepsOf(ofWorkspace, stored, adjustments);
      const versions = await this.activeVersions(client, workspaceId);
      for (const version of versions) await this.scoreSteps(client, workspaceId, version, steps, stored);
      // The contact's last interaction, which lists sort by and suggestions read.
      const last = new Map<string, { contactId: string; at: number; type: string }>();
      for (const event of ofWorkspace) {
        if (event.source !== 'interaction' || !stored.has(event.contactId)) continue;
        interactions++;
        const current = last.get(event.contactId);
        if (!current || event.occurredAt > current.at)
          last.set(event.contactId, { contactId: event.contactId, at: event.occurredAt, type: event.type });
      }
      await recordLastInteractions(client, workspaceId, [...last.values()]);
      contacts += steps.size;
      if (this.sink.touched) {
        const moved = new Map<string, { at: number; cause: ChangeCause }>();
        for (const [contactId, contactSteps] of steps) {
          const lastStep = contactSteps[contactSteps.length - 1];
          moved.set(contactId, { at: lastStep.at, cause: lastStep.cause });
        }
        await this.sink.touched(client, workspaceId, moved, versions);
      }
    }
    return { interactions, contacts };
  }

  private async scoreSteps(
    client: pg.PoolClient,
    workspaceId: string,
    version: ActiveVersion,
    steps: Map<string, Step[]>,
    stored: Map<string, ContactFacts>,
  ): Promise<void> {
    const { model, profile } = version;
    const scores = await loadScores(client, workspaceId, version.id, [...steps.keys()]);
    const relevant = (step: Step) => step.cause !== 'adjustment' || step.adjustment?.profileId === version.profileId;
    const readsContact = profile.interactionRules.some((rule) => rule.readsContact);
    const limited = profile.interactionRules.some((rule) => rule.limit);
    // Without a window, evidence continues from the stored count (the anchor keeps too few entries to recount it).
    const countsOn = model.minInteractions > 0 && model.windowMs === null;
    // A contact is scored from its whole history (rather than from its anchor and the entries the
    // anchor keeps) when the anchor keeps none yet, when a contact change may change what every
    // match earns, or when an interaction arrives so late that a limit needs matches the anchor no
    // longer keeps.
    const full = new Set<string>();
    const ofVersion = new Map<string, Step[]>();
    for (const [contactId, contactSteps] of steps) {
      const score = scores.get(contactId);
      const mine = contactSteps.every(relevant) ? contactSteps : contactSteps.filter(relevant);
      if (mine.length === 0) continue;
      ofVersion.set(contactId, mine);
      const from = score ? model.keptFrom(score.anchor.tau) : -Infinity;
      if (
        (score && score.recent === null) ||
        (countsOn && score && score.evidence === null) ||
        (readsContact && mine.some((step) => step.cause === 'contact' && !step.created)) ||
        (limited && mine.some((step) => step.interactions.some((interaction) => interaction.occurredAt - model.limitSpanMs <= from)))
      )
        full.add(contactId);
    }
    const histories = await loadHistories(
      client,
      workspaceId,
      version.id,
      [...full].map((contactId) => ({ contactId, since: null })),
    );
    const contactStepIds = [...steps].filter(([, contactSteps]) => contactSteps.some((step) => step.cause === 'contact')).map(([id]) => id);
    const held =
      profile.stateRules.length > 0
        ? await heldStateRules(client, workspaceId, version.id, contactStepIds)
        : new Map<string, Map<number, number>>();

    const writes: VersionWrites = { anchors: [], ledger: [], unmarks: [], changes: new Map() };
    for (const [contactId, mine] of ofVersion) {
      const contact = stored.get(contactId);
      if (!contact) continue;
      const fact = contactFact(contact);
      if (full.has(contactId))
        this.recomputeContact(version, fact, histories.get(contactId)!, scores.get(contactId), mine, held.get(contactId), writes);
      else this.continueContact(version, fact, scores.get(contactId), mine, held.get(contactId), writes);
    }
    await this.write(client, workspaceId, version, writes);
  }

  /** Follows one contact's steps from its stored anchor and the entries it keeps: the usual case, which reads nothing more. */
  private continueContact(
    version: ActiveVersion,
    fact: ContactFact,
    stored: StoredScore | undefined,
    steps: Step[],
    heldBefore: Map<number, number> | undefined,
    writes: VersionWrites,
  ): void {
    const { model, profile } = version;
    const contactId = fact.id;
    // Matches of limited rules are re-decided in place: those are copied, the rest are shared. Per
    // limited rule, its kept matches in time order with whether each counts.
    const limits = new Map<number, LedgerEntry[]>();
    for (const rule of profile.interactionRules) if (rule.limit) limits.set(rule.index, []);
    const entries: LedgerEntry[] = (stored?.recent ?? []).map((entry) => {
      const state = entry.kind === EntryKind.interaction ? limits.get(entry.rule) : undefined;
      if (!state) return entry;
      const copy = { ...entry };
      state.push(copy);
      return copy;
    });
    const held = new Map(heldBefore ?? []);
    let anchor = stored?.anchor ?? emptyAnchor(steps[0].at);
    const evidence = evidenceBase(model, stored);
    // Steps that change nothing for this version (no match, no state change, no adjustment, nothing
    // coming due) leave the stored anchor as it is: it still describes the score. Most interactions
    // match some rules of one profile and none of another.
    let changed = !stored;
    const notes: { cause: ChangeCause; at: number; change: ScoreChange }[] = [];
    for (const step of steps) {
      const t = Math.max(step.at, anchor.tau);
      if (anchor.staleAt !== null && anchor.staleAt <= t) changed = true;
      let path: PathPiece[] = [];
      const current = model.advance(anchor, t, entries, recorder(path));
      // Whether the contact had a score along the path (time may give or take it away) and at t.
      const qualification = qualifiedPath(model, path, entries, anchor.tau, t, evidence, model.rawFromAnchor(current, t));
      path = qualification.path;
      const changes: Entry[] = [];
      // State rules hold or not on the contact as it is now (a new contact starts with those that hold).
      if (step.created || step.cause === 'contact' || (!stored && step === steps[0])) {
        const holding = new Set(holdingStateRules(profile, fact).map((rule) => rule.index));
        for (const rule of profile.stateRules) {
          const before = held.get(rule.index) ?? 0;
          const target = holding.has(rule.index) ? rule.points : 0;
          if (before === target) continue;
          const entry = stateEntry(contactId, rule.index, target - before, t);
          changes.push(entry);
          writes.ledger.push(entry);
          held.set(rule.index, target);
        }
      }
      if (step.interactions.length > 0) {
        const matches = matchInteractions(profile, step.interactions, new Map([[contactId, fact]]));
        for (const [ruleIndex, group] of groupBy(matches, (match) => String(match.rule))) {
          const state = limits.get(Number(ruleIndex));
          entries.push(...group);
          if (!state) {
            changes.push(...group);
            continue;
          }
          // Decide the new matches among the rule's others; a late one may re-decide those after it.
          const limit = profile.rules[Number(ruleIndex)].limit!;
          state.push(...group);
          const before = new Map(state.map((match) => [match.interactionSeq!, match.counted]));
          const isNew = new Set(group.map((match) => match.interactionSeq!));
          const from = Math.min(...group.map((match) => match.at));
          const decided = decideLimit(
            state.map((match) => ({ at: match.at, interactionSeq: match.interactionSeq!, counted: match.counted })),
            limit,
            from,
          );
          const bySeq = new Map(state.map((match) => [match.interactionSeq!, match]));
          for (const result of decided) {
            const match = bySeq.get(result.interactionSeq)!;
            match.counted = result.counted;
            if (isNew.has(result.interactionSeq)) {
              changes.push(match);
              if (!match.counted) writes.ledger.push(match);
            } else if (before.get(result.interactionSeq) !== result.counted) {
              // Re-decided: it gains or loses its points, and its mark in the ledger follows.
              changes.push({ ...match, points: result.counted ? match.points : -match.points, counted: true });
              const mark = { contactId, at: match.at, interactionSeq: result.interactionSeq, rule: match.rule };
              if (result.counted) writes.unmarks.push(mark);
              else writes.ledger.push({ ...match, counted: false });
            }
          }
          state.sort((x, y) => x.at - y.at || x.interactionSeq! - y.interactionSeq!);
        }
      }
      if (step.adjustment) {
        const delta = adjustmentDelta(version, model.rawFromAnchor(current, t), step.adjustment.mode, step.adjustment.value);
        const entry = adjustmentEntry(contactId, t, delta, step.adjustment.id);
        changes.push(entry);
        entries.push(entry);
        writes.ledger.push(entry);
      }
      if (changes.length > 0) changed = true;
      const after = model.applyChanges(current, t, changes);
      notes.push({
        cause: step.cause,
        at: t,
        change: {
          contactId,
          path,
          before: model.rawFromAnchor(current, t),
          after: model.rawFromAnchor(after, t),
          qualifiedBefore: qualification.qualified,
          qualifiedAfter: qualifiedAt(model, evidence, entries, t),
          anchor: after,
        },
      });
      anchor = after;
    }
    if (!changed) return;
    for (const note of notes) this.noteChange(writes, note.cause, note.at, note.change);
    writes.anchors.push(
      this.anchorWrite(version, contactId, anchor, entries, stored?.changedAt ?? null, evidenceAt(model, evidence, entries, anchor.tau)),
    );
  }

  /**
   * Scores one contact from its whole history, then its steps (at the moment of the last one): when
   * its anchor keeps no entries yet, when its fields changed and interaction rules read them, or when
   * an interaction arrived too late for the entries the anchor keeps.
   */
  private recomputeContact(
    version: ActiveVersion,
    fact: ContactFact,
    history: ContactHistory,
    storedScore: StoredScore | undefined,
    steps: Step[],
    heldBefore: Map<number, number> | undefined,
    writes: VersionWrites,
  ): void {
    const { model, profile } = version;
    const contactId = fact.id;
    const stored = storedScore?.anchor;
    const changedBefore = storedScore?.changedAt ?? null;
    const t = Math.max(steps[steps.length - 1].at, stored?.tau ?? -Infinity);
    const previous = stored ? entriesOf(version, fact, history) : [];
    const before = stored ? model.rawFromAnchor(model.advance(stored, t, previous), t) : 0;
    // A contact scored for the first time had no score before (and "no score" reads as 0 without minInteractions, as ever).
    const qualifiedBefore = stored ? qualifiedAt(model, 0, previous, t) : model.minInteractions === 0;
    // Limits decided afresh over every match, old and new; the marks follow.
    const all = [...history.interactions, ...steps.flatMap((step) => step.interactions)];
    const matches = decideAllLimits(version, matchInteractions(profile, all, new Map([[contactId, fact]])));
    const oldMarks = history.ledger.filter((row) => row.kind === EntryKind.interaction);
    const newMarks = matches.filter((match) => !match.counted);
    const markKey = (row: { interactionSeq: number | null; rule: number }) => `${row.interactionSeq}/${row.rule}`;
    const kept = new Set(newMarks.map(markKey));
    const had = new Set(oldMarks.map(markKey));
    for (const row of oldMarks)
      if (!kept.has(markKey(row))) writes.unmarks.push({ contactId, at: row.at, interactionSeq: row.interactionSeq!, rule: row.rule });
    for (const row of newMarks) if (!had.has(markKey(row))) writes.ledger.push(row);
    const entries: LedgerEntry[] = [...matches, ...history.ledger.filter((row) => row.kind !== EntryKind.interaction)];
    // State rules and adjustments of these steps, at the moment of the last one.
    const held = new Map(heldBefore ?? []);
    const holding = new Set(holdingStateRules(profile, fact).map((rule) => rule.index));
    if (steps.some((step) => step.cause === 'contact' || step.created) || !stored) {
      for (const rule of profile.stateRules) {
        const target = holding.has(rule.index) ? rule.points : 0;
        const current = held.get(rule.index) ?? 0;
        if (current === target) continue;
        const entry = stateEntry(contactId, rule.index, target - current, t);
        entries.push(entry);
        writes.ledger.push(entry);
      }
    }
    entries.sort((x, y) => x.at - y.at);
    for (const step of steps) {
      if (!step.adjustment) continue;
      const entry = adjustmentEntry(
        contactId,
        t,
        adjustmentDelta(version, model.rawAt(entries, t), step.adjustment.mode, step.adjustment.value),
        step.adjustment.id,
      );
      entries.push(entry);
      writes.ledger.push(entry);
    }
    const anchor = model.anchorFromEntries(entries, t);
    const cause = steps.some((step) => step.cause === 'contact') ? 'contact' : steps[steps.length - 1].cause;
    this.noteChange(writes, cause, t, {
      contactId,
      path: [],
      before,
      after: model.rawFromAnchor(anchor, t),
      qualifiedBefore,
      qualifiedAfter: qualifiedAt(model, 0, entries, t),
      anchor,
    });
    writes.anchors.push(this.anchorWrite(version, contactId, anchor, entries, changedBefore, evidenceAt(model, 0, entries, t)));
  }

  /**
   * What is written for an anchor: its sort key, when the scheduler must look at it, the entries it
   * keeps, and whether the contact has a score (`evidence`: its matching interactions at τ, null
   * without minInteractions). Under minInteractions the next moment time alone gives or takes away
   * the score makes the anchor stale (a time step, and lists refresh it first), and the last moment
   * the evidence changed counts as a change for period queries.
   */
  private anchorWrite(
    version: ActiveVersion,
    contactId: string,
    anchor: Anchor,
    entries: readonly LedgerEntry[],
    changedBefore: number | null,
    evidence: number | null,
  ): AnchorWrite {
    const { model } = version;
    let changedAt = model.lastChange(entries, anchor.tau);
    let written = anchor;
    if (evidence !== null) {
      const flips = model.nextQualificationChange(entries, anchor.tau, evidence);
      if (flips !== null && (anchor.staleAt === null || flips < anchor.staleAt)) written = { ...anchor, staleAt: flips };
      const counted = model.lastEvidenceChange(entries, anchor.tau);
      if (counted !== null && (changedAt === null || counted > changedAt)) changedAt = counted;
    }
    return {
      contactId,
      anchor: written,
      recent: model.keep(entries, anchor.tau),
      key: model.sortKeyOf(anchor),
      dueAt: model.dueAt(written, version.levels),
      changedAt: changedBefore === null ? changedAt : changedAt === null ? changedBefore : Math.max(changedAt, changedBefore),
      qualified: evidence === null || model.qualifies(evidence),
      evidence,
    };
  }

  private noteChange(writes: VersionWrites, cause: ChangeCause, at: number, change: ScoreChange): void {
    let byTime = writes.changes.get(cause);
    if (!byTime) writes.changes.set(cause, (byTime = new Map<number, { at: number; cause: ChangeCause; changes: ScoreChange[] }>()));
    let group = byTime.get(at);
    if (!group) byTime.set(at, (group = { at, cause, changes: [] }));
    group.changes.push(change);
  }

  private async write(client: pg.PoolClient, workspaceId: string, version: ActiveVersion, writes: VersionWrites): Promise<void> {
    await deleteLimitMarks(client, workspaceId, version.id, writes.unmarks);
    await insertLedgerEntries(client, workspaceId, version.id, writes.ledger);
    await writeAnchors(
      client,
      workspaceId,
      version.id,
      writes.anchors,
      new Date(Math.max(...writes.anchors.map((write) => write.anchor.tau), 0)),
    );
    for (const group of [...writes.changes.values()].flatMap((byTime) => [...byTime.values()]).sort((x, y) => x.at - y.at))
      await this.sink.record(client, workspaceId, version, group.changes, group.at, group.cause);
  }

  // -----------------------------------------------------------------------------------------------
  // Time

  /**
   * Time steps for some partitions (the caller holds them): anchors due by `now` — an expiry, a
   * future-dated entry, or decay reaching a watched level — are brought to `now`, which reports the
   * crossings on the way with their true moments. Returns how many contacts were due.
   */
  async advanceDue(client: pg.PoolClient, partitions: readonly number[] | null, now: number, limit: number): Promise<number> {
    const due = await dueScores(client, partitions, new Date(now), limit);
    const byVersion = groupBy(due, (row) => `${row.workspaceId}/${row.versionId}`);
    for (const group of byVersion.values()) {
      const { workspaceId, versionId } = group[0];
      const row = await watchedVersion(client, workspaceId, versionId);
      if (row)
        await this.advanceContacts(
          client,
          workspaceId,
          this.activate(row),
          group.map((item) => item.contactId),
          now,
        );
    }
    return due.length;
  }

  /** Moves contacts' scores to `now` with nothing new but time (the caller holds their partitions). */
  async advanceContacts(
    client: pg.PoolClient,
    workspaceId: string,
    version: ActiveVersion,
    contactIds: readonly string[],
    now: number,
  ): Promise<void> {
    if (contactIds.length === 0) return;
    const { model } = version;
    const scores = await loadScores(client, workspaceId, version.id, contactIds);
    // Anchors that keep no entries yet are scored from the contact's whole history, once (and so are
    // those whose evidence was never counted, under a profile without a window that counts it).
    const uncounted = (score: StoredScore) => model.minInteractions > 0 && model.windowMs === null && score.evidence === null;
    const unkept = [...scores].filter(([, score]) => score.recent === null || uncounted(score)).map(([contactId]) => contactId);
    const derived = await loadEntries(
      client,
      workspaceId,
      version,
      unkept.map((contactId) => ({ contactId, since: null })),
    );
    const writes: VersionWrites = { anchors: [], ledger: [], unmarks: [], changes: new Map() };
    for (const [contactId, score] of scores) {
      const { anchor, changedAt } = score;
      if (now <= anchor.tau) continue;
      const whole = score.recent === null || uncounted(score);
      const entries = whole ? derived.get(contactId) : score.recent;
      if (!entries) continue;
      let path: PathPiece[] = [];
      const moved = whole ? model.anchorFromEntries(entries, now) : model.advance(anchor, now, entries, recorder(path));
      const base = whole ? 0 : evidenceBase(model, score);
      let qualifiedBefore = score.qualified;
      if (!whole) {
        const qualification = qualifiedPath(model, path, entries, anchor.tau, now, base, model.rawFromAnchor(moved, now));
        path = qualification.path;
        qualifiedBefore = qualification.qualified;
      }
      this.noteChange(writes, 'time', now, {
        contactId,
        path,
        before: model.rawFromAnchor(anchor, anchor.tau),
        after: model.rawFromAnchor(moved, now),
        qualifiedBefore,
        qualifiedAfter: qualifiedAt(model, base, entries, now),
        anchor: moved,
      });
      writes.anchors.push(this.anchorWrite(version, contactId, moved, entries, changedAt, evidenceAt(model, base, entries, now)));
    }
    // A time step's change is its path; before/after at `now` are equal.
    for (const byTime of writes.changes.values())
      for (const group of byTime.values()) for (const change of group.changes) change.before = change.after;
    await this.write(client, workspaceId, version, writes);
  }

  /**
   * Brings a version's stale anchors (an expiry or a future-dated entry due since the last time step)
   * up to date before a read that orders or filters by score, in transactions of at most 1000
   * contacts. Each moves only as far as its partition's log is scored (time never overtakes an
   * interaction), with the partition locked. Usually nothing is stale and this is one index probe.
   */
  async refreshStale(db: Db, workspaceId: string, version: ActiveVersion, now: number): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const stale = await staleContacts(db, workspaceId, version.id, new Date(now), after, 1000);
      if (stale.length === 0) return;
      await transaction(db, async (client) => {
        const states = await lockPartitions(client, [...new Set(stale.map(partitionOf))]);
        const scoredUntil = new Map(states.map((state) => [state.partition, Math.min(now, state.scoredAt.getTime())]));
        for (const [until, ids] of groupBy(stale, (contactId) => String(scoredUntil.get(partitionOf(contactId))))) {
          await this.advanceContacts(client, workspaceId, version, ids, Number(until));
        }
      });
      if (stale.length < 1000) return;
      after = stale[stale.length - 1]!;
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Publishing

  /**
   * Recomputes when the scheduler must look at each contact, after the watched levels changed (a
   * subscription with a new threshold). One page of contacts (the caller holds their partitions);
   * returns the last id, or null.
   */
  async reschedule(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    after: string | null,
    limit: number,
  ): Promise<string | null> {
    const anchors = await anchorPage(db, workspaceId, version.id, after, limit);
    await writeDueTimes(
      db,
      workspaceId,
      version.id,
      [...anchors].map(([contactId, anchor]) => ({ contactId, dueAt: version.model.dueAt(anchor, version.levels) })),
    );
    return anchors.size === limit ? [...anchors.keys()].pop()! : null;
  }

  /**
   * Scores some contacts from scratch under a version (a publish): replaces their anchors and ledger
   * rows with what their scored interactions, their current fields and their adjustments earn under it.
   * The caller holds the contacts' partitions; what the log still holds is scored by the workers after.
   */
  async recompute(
    client: pg.PoolClient,
    workspaceId: string,
    version: ActiveVersion,
    contactIds: readonly string[],
    now: number,
  ): Promise<void> {
    const contacts = await getContacts(client, workspaceId, [...contactIds]);
    const ids = contacts.map((contact) => contact.id);
    await deleteLedgerOfContacts(client, workspaceId, version.id, ids);
    await deleteScoresOfContacts(client, workspaceId, version.id, ids);
    const interactions = groupBy(await interactionsOfContacts(client, workspaceId, ids), (interaction) => interaction.contactId);
    const adjustments = groupBy(
      await adjustmentsOf(client, workspaceId, version.profileId, ids, true),
      (adjustment) => adjustment.contactId,
    );
    const stored: LedgerEntry[] = [];
    const writes: AnchorWrite[] = [];
    for (const contact of contacts) {
      const entries = this.entriesFromHistory(
        version,
        contactFact(contact),
        interactions.get(contact.id) ?? [],
        adjustments.get(contact.id) ?? [],
        now,
      );
      stored.push(...entries.filter((entry) => entry.kind !== EntryKind.interaction || !entry.counted));
      writes.push(
        this.anchorWrite(
          version,
          contact.id,
          version.model.anchorFromEntries(entries, now),
          entries,
          null,
          evidenceAt(version.model, 0, entries, now),
        ),
      );
    }
    await insertLedgerEntries(client, workspaceId, version.id, stored);
    await writeAnchors(client, workspaceId, version.id, writes, new Date(now));
  }

  /** What a contact's whole history earns under a version (publishing and previews, which store nothing). */
  entriesFromHistory(
    version: Pick<ActiveVersion, 'profile' | 'model'>,
    contact: ContactFact,
    interactions: readonly InteractionRecord[],
    adjustments: readonly Adjustment[],
    now: number,
  ): LedgerEntry[] {
    const entries = decideAllLimits(version, matchInteractions(version.profile, interactions, new Map([[contact.id, contact]])));
    entries.push(...holdingStateRules(version.profile, contact).map((rule) => stateEntry(contact.id, rule.index, rule.points, now)));
    entries.sort((x, y) => x.at - y.at);
    // Adjustments replay in time order: a `set` aims at its value given what preceded it under these rules.
    for (const adjustment of adjustments) {
      const raw = version.model.rawAt(entries, adjustment.at);
      const points = adjustmentDelta(version, raw, adjustment.mode, adjustment.value);
      const entry = adjustmentEntry(contact.id, adjustment.at, points, adjustment.id);
      const position = entries.findIndex((existing) => existing.at > adjustment.at);
      entries.splice(position === -1 ? entries.length : position, 0, entry);
    }
    return entries;
  }

  /**
   * After a publish with `notify`: every contact whose score the new version moved across a watched
   * level gets its crossing delivered (cause "publish"), compared with the version it replaced. The
   * caller holds every partition.
   */
  async notifyPublish(
    client: pg.PoolClient,
    workspaceId: string,
    current: ActiveVersion,
    previous: ActiveVersion,
    now: number,
  ): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const stale = await staleContacts(client, workspaceId, previous.id, new Date(now), after, 1000);
      await this.advanceContacts(client, workspaceId, previous, stale, now);
      if (stale.length < 1000) break;
      after = stale[stale.length - 1]!;
    }
    after = null;
    for (;;) {
      const page = await anchorPage(client, workspaceId, current.id, after, 2000);
      if (page.size === 0) return;
      const old = await loadAnchors(client, workspaceId, previous.id, [...page.keys()]);
      const changes: ScoreChange[] = [...page].map(([contactId, anchor]) => {
        const before = old.get(contactId);
        return {
          contactId,
          path: [],
          before: before ? previous.model.rawFromAnchor(before, now) : 0,
          after: current.model.rawFromAnchor(anchor, now),
          qualifiedBefore: before ? before.qualified : previous.model.minInteractions === 0,
          qualifiedAfter: anchor.qualified,
          anchor,
        };
      });
      await this.sink.record(client, workspaceId, current, changes, now, 'publish');
      after = [...page.keys()].pop()!;
    }
  }
}

/** Groups one workspace's window into steps per contact: an accepted batch, a contact change, an adjustment. */
function stepsOf(
  events: readonly LogEvent[],
  stored: ReadonlyMap<string, ContactFacts>,
  adjustments: ReadonlyMap<string, Adjustment>,
): Map<string, Step[]> {
  const steps = new Map<string, Step[]>();
  const lastTxid = new Map<string, number>();
  for (const event of events) {
    if (!stored.has(event.contactId)) continue;
    let list = steps.get(event.contactId);
    if (!list) steps.set(event.contactId, (list = []));
    if (event.source === 'interaction') {
      const previous = list[list.length - 1];
      if (previous && previous.cause === 'interaction' && lastTxid.get(event.contactId) === event.txid) previous.interactions.push(event);
      else list.push({ at: event.receivedAt, cause: 'interaction', interactions: [event] });
      lastTxid.set(event.contactId, event.txid);
      continue;
    }
    lastTxid.delete(event.contactId);
    if (event.kind === 'contact') {
      list.push({ at: event.receivedAt, cause: 'contact', interactions: [], created: event.payload.created === true });
    } else {
      const adjustment = adjustments.get(String(event.payload.adjustmentId));
      if (adjustment) list.push({ at: event.receivedAt, cause: 'adjustment', interactions: [], adjustment });
    }
  }
  return steps;
}

/** Every match with its limit decided from the first on (no stored decision is kept). */
function decideAllLimits(version: Pick<ActiveVersion, 'profile'>, matches: LedgerEntry[]): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  for (const group of groupBy(matches, (entry) => String(entry.rule)).values()) {
    const limit = version.profile.rules[group[0].rule].limit;
    if (!limit) {
      entries.push(...group);
      continue;
    }
    const decided = new Map(
      decideLimit(
        group.map((entry) => ({ at: entry.at, interactionSeq: entry.interactionSeq!, counted: true })),
        limit,
        -Infinity,
      ).map((result) => [result.interactionSeq, result.counted]),
    );
    entries.push(...group.map((entry) => ({ ...entry, counted: decided.get(entry.interactionSeq!)! })));
  }
  return entries;
}

// -------------------------------------------------------------------------------------------------
// Minimum evidence (a profile's minInteractions)

/**
 * What a contact's evidence (ScoreModel.evidence) is beyond its anchor's kept entries: with a window
 * they hold every match in it, so nothing (0); without one, the matches older than them, which never
 * change — the stored count less what the kept entries show at τ. Then evidence(t) = base +
 * model.evidence(entries, t) for the kept entries and whatever is added to them.
 */
function evidenceBase(model: ScoreModel, stored: StoredScore | undefined): number {
  if (model.minInteractions === 0 || model.windowMs !== null || !stored || stored.evidence === null) return 0;
  return stored.evidence - model.evidence(stored.recent ?? [], stored.anchor.tau);
}

/** The evidence at t (null without minInteractions: not counted). */
function evidenceAt(model: ScoreModel, base: number, entries: readonly LedgerEntry[], t: number): number | null {
  return model.minInteractions === 0 ? null : base + model.evidence(entries, t);
}

function qualifiedAt(model: ScoreModel, base: number, entries: readonly LedgerEntry[], t: number): boolean {
  return model.minInteractions === 0 || model.qualifies(base + model.evidence(entries, t));
}

/**
 * A path from `from` to `to` annotated with whether the contact had a score along it: segments are
 * cut where time alone gives or takes away the score, and those moments are jumps (a jump already
 * there, or one with before = after; `end` is the raw score at `to`). Returns the annotated path and
 * whether the contact has a score at `to`. Unchanged without minInteractions.
 */
function qualifiedPath(
  model: ScoreModel,
  path: PathPiece[],
  entries: readonly LedgerEntry[],
  from: number,
  to: number,
  base: number,
  end: number,
): { path: PathPiece[]; qualified: boolean } {
  if (model.minInteractions === 0) return { path, qualified: true };
  const count = base + model.evidence(entries, from);
  let qualified = model.qualifies(count);
  const flips = model.qualificationChanges(entries, from, to, count);
  const annotated: PathPiece[] = [];
  let next = 0;
  for (const piece of path) {
    if (piece.type === 'jump') {
      const before = qualified;
      for (; next < flips.length && flips[next].at <= piece.at; next++) qualified = flips[next].qualified;
      annotated.push({ ...piece, qualifiedBefore: before, qualifiedAfter: qualified });
      continue;
    }
    // A part of the segment from `start` on: its decayed part is re-based there.
    const part = (start: number, end: number) => ({
      ...piece,
      from: start,
      to: end,
      a: piece.a * model.decay(start - piece.from),
      qualified,
    });
    let start = piece.from;
    for (; next < flips.length && flips[next].at < piece.to; next++) {
      const flip = flips[next];
      if (flip.at > start) annotated.push(part(start, flip.at));
      const value = piece.s + piece.a * model.decay(flip.at - piece.from);
      annotated.push({
        type: 'jump',
        at: flip.at,
        before: value,
        after: value,
        qualifiedBefore: qualified,
        qualifiedAfter: flip.qualified,
      });
      qualified = flip.qualified;
      start = flip.at;
    }
    if (piece.to > start) annotated.push(start === piece.from ? { ...piece, qualified } : part(start, piece.to));
  }
  for (; next < flips.length; next++) {
    annotated.push({
      type: 'jump',
      at: flips[next].at,
      before: end,
      after: end,
      qualifiedBefore: qualified,
      qualifiedAfter: flips[next].qualified,
    });
    qualified = flips[next].qualified;
  }
  return { path: annotated, qualified };
}

function recorder(path: PathPiece[]): PathVisitor {
  return {
    segment: (from, to, s, a) => {
      if (to > from) path.push({ type: 'segment', from, to, s, a });
    },
    jump: (at, before, after) => path.push({ type: 'jump', at, before, after }),
  };
}

function stateEntry(contactId: string, rule: number, points: number, at: number): LedgerEntry {
  return { contactId, at, kind: EntryKind.state, rule, points, counted: true, interactionSeq: null, actorId: null, adjustmentId: null };
}

function adjustmentEntry(contactId: string, at: number, points: number, adjustmentId: string): LedgerEntry {
  return { contactId, at, kind: EntryKind.adjustment, rule: -1, points, counted: true, interactionSeq: null, actorId: null, adjustmentId };
}

/** The raw change an adjustment makes to a score whose raw value is `raw` now. */
export function adjustmentDelta(
  version: Pick<ActiveVersion, 'profile' | 'model'>,
  raw: number,
  mode: 'delta' | 'set',
  value: number,
): number {
  if (version.profile.kind !== 'relationship') return mode === 'delta' ? value : value - raw;
  const saturation = version.profile.saturation;
  const score = 100 * (1 - Math.exp(-raw / saturation));
  // The saturation curve never reaches 100; 99.999 is as close as a strength can get.
  const target = Math.min(99.999, Math.max(0, mode === 'delta' ? score + value : value));
  return -saturation * Math.log(1 - target / 100) - raw;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    let group = groups.get(name);
    if (!group) groups.set(name, (group = []));
    group.push(item);
  }
  return groups;
}
