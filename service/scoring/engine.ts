import { adjustmentsOf, type Adjustment } from '../store/adjustments';
import { lockContacts, type Contact, type ContactFacts } from '../store/contacts';
import type { Clock } from '../clock';
import { transaction, type Db, type Queryable } from '../store/db';
import { interactionsOfContacts } from '../store/interactions';
import { emptyAnchor, type Anchor } from '../model/anchor';
import type { InteractionRecord } from '../model/interaction';
import { EntryKind, type Entry, type LedgerEntry } from '../model/ledger';
import { deleteLedgerOfContacts, fetchLedger, fetchRuleEntries, heldStateRules, insertLedgerEntries, updateCounted } from '../store/ledger';
import { activeVersions, type VersionRow } from '../store/profiles';
import {
  deleteScoresOfContacts,
  loadAnchors,
  lockAnchorPage,
  staleContacts,
  writeAnchors,
  writeDueTimes,
  type AnchorWrite,
} from '../store/scores';
import { contactFact, decideLimit, holdingStateRules, matchInteractions, type ContactFact } from './evaluate';
import { DAY_MS, ScoreModel, type PathVisitor } from './math';
import { compileProfile, type CompiledProfile, type ProfileDocument } from './profile';

/** One piece of a score's path between two moments: a decay segment or a jump. */
export type PathPiece =
  { type: 'segment'; from: number; to: number; s: number; a: number } | { type: 'jump'; at: number; before: number; after: number };

/** How one contact's score moved in one version, for whoever reacts to crossings. */
export type ScoreChange = {
  contactId: string;
  /** The path from the stored anchor to `now` (time passing, expiries), before this change. */
  path: PathPiece[];
  /** Raw score at `now` before and after the change. */
  before: number;
  after: number;
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
};

/** Changes to apply to one contact, given its anchor brought to `now`. */
type ChangeBuilder = (contactId: string, current: Anchor) => LedgerEntry[];

type Flip = { contactId: string; interactionSeq: number; rule: number; at: number; points: number; counted: boolean };

/**
 * The write side of scoring: every change to interactions, contacts or adjustments goes through
 * here, inside the caller's transaction, so a stored interaction always has its contributions and
 * every anchor matches its ledger.
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

  activate(row: VersionRow & { profileName: string; thresholds?: number[] }): ActiveVersion {
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
    };
  }

  /**
   * The versions that score changes now. Read after the caller locked the contacts it changes, so a
   * publish that started meanwhile is seen (see jobs/publish.ts).
   */
  async activeVersions(db: Queryable, workspaceId: string): Promise<ActiveVersion[]> {
    return (await activeVersions(db, workspaceId)).map((row) => this.activate(row));
  }

  /** Scores newly stored interactions under every active version. Contacts must be locked by the caller. */
  async onInteractions(
    db: Queryable,
    workspaceId: string,
    interactions: readonly InteractionRecord[],
    contacts: readonly ContactFacts[],
    createdIds: ReadonlySet<string>,
    now: number,
  ): Promise<void> {
    const versions = await this.activeVersions(db, workspaceId);
    const facts = new Map<string, ContactFact>(contacts.map((contact) => [contact.id, contactFact(contact)]));
    for (const version of versions) {
      const matches = matchInteractions(version.profile, interactions, facts);
      const { entries, flips } = await this.applyLimits(db, workspaceId, version, matches);
      const byContact = groupBy(entries, (entry) => entry.contactId);
      for (const id of createdIds) {
        const state = this.stateEntries(version, facts.get(id)!, now);
        if (state.length > 0) byContact.set(id, [...(byContact.get(id) ?? []), ...state]);
      }
      const touched = new Set([...byContact.keys(), ...flips.map((flip) => flip.contactId), ...createdIds]);
      await this.commit(db, workspaceId, version, [...touched], (id) => byContact.get(id) ?? [], flips, now, 'interaction');
    }
  }

  /** Re-evaluates state rules of changed contacts (and gives new contacts their scores). Contacts locked by the caller. */
  async onContactsChanged(
    db: Queryable,
    workspaceId: string,
    contacts: readonly Contact[],
    createdIds: ReadonlySet<string>,
    now: number,
  ): Promise<void> {
    if (contacts.length === 0) return;
    const versions = await this.activeVersions(db, workspaceId);
    for (const version of versions) {
      const existing = contacts.filter((contact) => !createdIds.has(contact.id));
      const holding =
        version.profile.stateRules.length > 0
          ? await heldStateRules(
              db,
              workspaceId,
              version.id,
              existing.map((contact) => contact.id),
            )
          : new Map<string, Map<number, number>>();
      const changes = new Map<string, LedgerEntry[]>();
      for (const contact of contacts) {
        const now_holding = new Set(holdingStateRules(version.profile, contactFact(contact)).map((rule) => rule.index));
        const before = holding.get(contact.id) ?? new Map<number, number>();
        const entries: LedgerEntry[] = [];
        for (const rule of version.profile.stateRules) {
          const held = before.get(rule.index) ?? 0;
          const target = now_holding.has(rule.index) ? rule.points : 0;
          if (held !== target) entries.push(stateEntry(contact.id, rule.index, target - held, now));
        }
        if (entries.length > 0) changes.set(contact.id, entries);
      }
      const touched = [...new Set([...changes.keys(), ...createdIds])];
      if (touched.length > 0) await this.commit(db, workspaceId, version, touched, (id) => changes.get(id) ?? [], [], now, 'contact');
    }
  }

  /**
   * Records an adjustment in the given versions of one profile: `delta` adds to the score, `set`
   * makes it `value` now. For relationship profiles the change is made on the 0–100 score and
   * stored as the strength that produces it.
   */
  async adjust(
    db: Queryable,
    workspaceId: string,
    versions: readonly ActiveVersion[],
    contactId: string,
    adjustment: { id: string; mode: 'delta' | 'set'; value: number },
    now: number,
  ): Promise<void> {
    for (const version of versions) {
      await this.commit(
        db,
        workspaceId,
        version,
        [contactId],
        (id, current) => {
          const raw = version.model.rawFromAnchor(current, now);
          const delta = adjustmentDelta(version, raw, adjustment.mode, adjustment.value);
          return [
            {
              contactId: id,
              at: now,
              kind: EntryKind.adjustment,
              rule: -1,
              points: delta,
              counted: true,
              interactionSeq: null,
              actorId: null,
              adjustmentId: adjustment.id,
            },
          ];
        },
        [],
        now,
        'adjustment',
      );
    }
  }

  /**
   * Brings anchors whose expiries or future-dated entries are due up to `now` (so index-backed
   * filters are exact), reporting crossings that time caused. At most `limit` contacts per call.
   */
  async refreshStale(db: Queryable, workspaceId: string, version: ActiveVersion, now: number, limit = 1000): Promise<number> {
    const due = await staleContacts(db, workspaceId, version.id, new Date(now), limit);
    await this.advanceContacts(db, workspaceId, version, due, now);
    return due.length;
  }

  /**
   * Brings every due anchor of a version up to date, in transactions of at most 1000 contacts. The
   * check runs outside any transaction: usually nothing is due and it costs one index probe.
   */
  async refreshAllStale(db: Db, workspaceId: string, version: ActiveVersion, clock: Clock): Promise<void> {
    for (;;) {
      const due = await staleContacts(db, workspaceId, version.id, clock.now(), 1000);
      if (due.length === 0) return;
      await transaction(db, (client) => this.advanceContacts(client, workspaceId, version, due, clock.now().getTime()));
      if (due.length < 1000) return;
    }
  }

  /** Moves contacts' scores to `now` with nothing new but time: crossings on the way are reported. */
  async advanceContacts(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    contactIds: readonly string[],
    now: number,
  ): Promise<void> {
    if (contactIds.length > 0) await this.commit(db, workspaceId, version, [...contactIds], () => [], [], now, 'time');
  }

  /**
   * Recomputes when the scheduler must look at each contact, after the watched levels changed (a
   * subscription with a new threshold). One page of contacts, locked; returns the last id, or null.
   */
  async reschedule(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    after: string | null,
    limit: number,
  ): Promise<string | null> {
    const anchors = await lockAnchorPage(db, workspaceId, version.id, after, limit);
    await writeDueTimes(
      db,
      workspaceId,
      version.id,
      [...anchors].map(([contactId, anchor]) => ({ contactId, dueAt: version.model.dueAt(anchor, version.levels) })),
    );
    return anchors.size === limit ? [...anchors.keys()].pop()! : null;
  }

  /**
   * Scores some contacts from scratch under a version (a publish): replaces their ledger and
   * anchors with what all their interactions, their current attributes and their adjustments
   * earn under it. Locks the contacts first, so concurrent ingest is either seen or waits.
   */
  async recompute(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    contactIds: readonly string[],
    now: number,
  ): Promise<LedgerEntry[]> {
    const contacts = await lockContacts(db, workspaceId, contactIds);
    const ids = contacts.map((contact) => contact.id);
    await deleteLedgerOfContacts(db, workspaceId, version.id, ids);
    await deleteScoresOfContacts(db, workspaceId, version.id, ids);
    const interactions = groupBy(await interactionsOfContacts(db, workspaceId, ids), (interaction) => interaction.contactId);
    const adjustments = groupBy(await adjustmentsOf(db, workspaceId, version.profileId, ids), (adjustment) => adjustment.contactId);
    const all: LedgerEntry[] = [];
    const writes: AnchorWrite[] = [];
    for (const contact of contacts) {
      const fact = contactFact(contact);
      const entries = this.entriesFromHistory(version, fact, interactions.get(contact.id) ?? [], adjustments.get(contact.id) ?? [], now);
      const anchor = version.model.anchorFromEntries(entries, now);
      all.push(...entries);
      writes.push({
        contactId: contact.id,
        anchor,
        key: version.model.sortKeyOf(anchor),
        dueAt: version.model.dueAt(anchor, version.levels),
      });
    }
    await insertLedgerEntries(db, workspaceId, version.id, all);
    await writeAnchors(db, workspaceId, version.id, writes, new Date(now));
    return all;
  }

  /** What a contact's whole history earns under a version (also used by previews, which store nothing). */
  entriesFromHistory(
    version: Pick<ActiveVersion, 'profile' | 'model'>,
    contact: ContactFact,
    interactions: readonly InteractionRecord[],
    adjustments: readonly Adjustment[],
    now: number,
  ): LedgerEntry[] {
    const facts = new Map([[contact.id, contact]]);
    const matches = matchInteractions(version.profile, interactions, facts);
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
    entries.push(...holdingStateRules(version.profile, contact).map((rule) => stateEntry(contact.id, rule.index, rule.points, now)));
    entries.sort((x, y) => x.at - y.at);
    // Adjustments replay in time order: a `set` aims at its value given what preceded it under these rules.
    for (const adjustment of adjustments) {
      const raw = version.model.rawAt(entries, adjustment.at);
      const points = adjustmentDelta(version, raw, adjustment.mode, adjustment.value);
      const entry: LedgerEntry = {
        contactId: contact.id,
        at: adjustment.at,
        kind: EntryKind.adjustment,
        rule: -1,
        points,
        counted: true,
        interactionSeq: null,
        actorId: null,
        adjustmentId: adjustment.id,
      };
      const position = entries.findIndex((existing) => existing.at > adjustment.at);
      entries.splice(position === -1 ? entries.length : position, 0, entry);
    }
    return entries;
  }

  /**
   * After a publish with `notify`: every contact whose score the new version moved across a watched
   * level gets its crossing delivered (cause "publish"), compared with the version it replaced.
   */
  async notifyPublish(db: Queryable, workspaceId: string, current: ActiveVersion, previous: ActiveVersion, now: number): Promise<void> {
    while ((await this.refreshStale(db, workspaceId, previous, now)) === 1000);
    let after: string | null = null;
    for (;;) {
      const page = await lockAnchorPage(db, workspaceId, current.id, after, 2000);
      if (page.size === 0) return;
      const old = await loadAnchors(db, workspaceId, previous.id, [...page.keys()], false);
      const changes: ScoreChange[] = [...page].map(([contactId, anchor]) => {
        const before = old.get(contactId);
        return {
          contactId,
          path: [],
          before: before ? previous.model.rawFromAnchor(before, now) : 0,
          after: current.model.rawFromAnchor(anchor, now),
          anchor,
        };
      });
      await this.sink.record(db, workspaceId, current, changes, now, 'publish');
      after = [...page.keys()].pop()!;
    }
  }

  stateEntries(version: ActiveVersion, contact: ContactFact, now: number): LedgerEntry[] {
    return holdingStateRules(version.profile, contact).map((rule) => stateEntry(contact.id, rule.index, rule.points, now));
  }

  /** Decides limits of the new matches against what the ledger already holds for those contacts and rules. */
  private async applyLimits(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    matches: LedgerEntry[],
  ): Promise<{ entries: LedgerEntry[]; flips: Flip[] }> {
    const limited = matches.filter((entry) => version.profile.rules[entry.rule].limit);
    if (limited.length === 0) return { entries: matches, flips: [] };
    const groups = groupBy(limited, (entry) => `${entry.rule}\u0000${entry.contactId}`);
    const requests = [...groups.values()].map((group) => {
      const rule = version.profile.rules[group[0].rule];
      const from = Math.min(...group.map((entry) => entry.at));
      return { contactId: group[0].contactId, rule: rule.index, from: from - rule.limit!.perDays * DAY_MS };
    });
    const existing = groupBy(
      await fetchRuleEntries(db, workspaceId, version.id, requests),
      (entry) => `${entry.rule}\u0000${entry.contactId}`,
    );
    const decided = new Map<LedgerEntry, boolean>();
    const flips: Flip[] = [];
    for (const [key, group] of groups) {
      const rule = version.profile.rules[group[0].rule];
      const from = Math.min(...group.map((entry) => entry.at));
      const stored = existing.get(key) ?? [];
      const bySeq = new Map<number, { entry: LedgerEntry; stored: boolean }>();
      for (const entry of stored) bySeq.set(entry.interactionSeq!, { entry, stored: true });
      for (const entry of group) bySeq.set(entry.interactionSeq!, { entry, stored: false });
      const outcome = decideLimit(
        [...bySeq.values()].map(({ entry }) => ({ at: entry.at, interactionSeq: entry.interactionSeq!, counted: entry.counted })),
        rule.limit!,
        from,
      );
      for (const result of outcome) {
        const { entry, stored: isStored } = bySeq.get(result.interactionSeq)!;
        if (!isStored) decided.set(entry, result.counted);
        else if (entry.counted !== result.counted) {
          flips.push({
            contactId: entry.contactId,
            interactionSeq: result.interactionSeq,
            rule: rule.index,
            at: entry.at,
            points: entry.points,
            counted: result.counted,
          });
        }
      }
    }
    return { entries: matches.map((entry) => (decided.has(entry) ? { ...entry, counted: decided.get(entry)! } : entry)), flips };
  }

  /**
   * The one path by which anchors change: lock the contacts' anchors, bring them to `now` (reading
   * the ledger only where an expiry or a future-dated entry is due), apply the changes, write the
   * ledger and the anchors, and tell the sink how each score moved.
   */
  private async commit(
    db: Queryable,
    workspaceId: string,
    version: ActiveVersion,
    contactIds: string[],
    build: ChangeBuilder,
    flips: Flip[],
    now: number,
    cause: ChangeCause,
  ): Promise<void> {
    const ids = [...new Set(contactIds)].sort();
    if (ids.length === 0) return;
    const { model } = version;
    const anchors = await loadAnchors(db, workspaceId, version.id, ids, true);
    const staleRequests = ids.flatMap((id) => {
      const anchor = anchors.get(id);
      if (!anchor || anchor.staleAt === null || anchor.staleAt > now) return [];
      return [{ contactId: id, since: model.windowMs === null ? anchor.tau : anchor.tau - model.windowMs }];
    });
    const ledger = await fetchLedger(db, workspaceId, version.id, staleRequests);
    const flipsByContact = groupBy(flips, (flip) => flip.contactId);
    const inserts: LedgerEntry[] = [];
    const writes: AnchorWrite[] = [];
    const changes: ScoreChange[] = [];
    for (const id of ids) {
      const stored = anchors.get(id);
      const path: PathPiece[] = [];
      const current = stored ? model.advance(stored, now, ledger.get(id) ?? [], recorder(path)) : emptyAnchor(now);
      const entries = build(id, current);
      inserts.push(...entries);
      const flipChanges: Entry[] = (flipsByContact.get(id) ?? []).map((flip) => ({
        at: flip.at,
        kind: EntryKind.interaction,
        rule: flip.rule,
        points: flip.counted ? flip.points : -flip.points,
        counted: true,
      }));
      const after = model.applyChanges(current, now, [...entries, ...flipChanges]);
      writes.push({ contactId: id, anchor: after, key: model.sortKeyOf(after), dueAt: model.dueAt(after, version.levels) });
      changes.push({
        contactId: id,
        path,
        before: model.rawFromAnchor(current, now),
        after: model.rawFromAnchor(after, now),
        anchor: after,
      });
    }
    await insertLedgerEntries(db, workspaceId, version.id, inserts);
    await updateCounted(db, workspaceId, version.id, flips);
    await writeAnchors(db, workspaceId, version.id, writes, new Date(now));
    await this.sink.record(db, workspaceId, version, changes, now, cause);
  }
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
