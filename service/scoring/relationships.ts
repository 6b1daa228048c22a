import type { Db, Queryable } from '../store/db';
import { EntryKind, type LedgerEntry } from '../model/ledger';
import { actorActivity } from '../store/interactions';
import { membersById, type Member } from '../store/members';
import { scoresInPeriod, analyticalQuery } from '../store/score-periods';
import type { ActiveVersion } from './engine';
import { loadEntries } from './history';
import { DAY_MS, round2, type ScoreModel } from './math';
import { periodCorrections } from './periods';

/**
 * Who knows a contact (or an account) best: the profile's formula applied to each team member's
 * (actorId's) interactions alone, from their entries, exact at the moment asked.
 */

export type MemberStrength = {
  actorId: string;
  name: string | null;
  email: string | null;
  /** 0–100: the profile's score of this member's interactions alone. */
  strength: number;
  /** Percent of the contact's total interaction strength. */
  share: number;
  interactions: number;
  lastInteractionAt: string | null;
};

/** A member's strength: the score the profile gives their interactions alone, kept to 0–100. */
export function memberStrength(model: ScoreModel, raw: number): number {
  return Math.min(100, Math.max(0, model.report(raw)));
}

/** Raw contribution per actor and in total (interactions only: adjustments belong to nobody) at t. */
export function strengthsByActor(
  model: ScoreModel,
  entries: readonly LedgerEntry[],
  t: number,
): { byActor: Map<string, number>; total: number } {
  const byActor = new Map<string, number>();
  let total = 0;
  for (const entry of entries) {
    if (entry.kind !== EntryKind.interaction || !model.contributes(entry, t)) continue;
    const value = entry.points * model.decay(t - entry.at);
    total += value;
    if (entry.actorId) byActor.set(entry.actorId, (byActor.get(entry.actorId) ?? 0) + value);
  }
  return { byActor, total };
}

type Activity = { actorId: string; interactions: number; lastAt: number | null };

/** Interactions per team member with some contacts: within the profile's window (all time without one), and the last one. */
async function activityOf(
  db: Queryable,
  workspaceId: string,
  contactIds: readonly string[],
  model: ScoreModel,
  t: number,
): Promise<Map<string, Map<string, Activity>>> {
  const rows = await actorActivity(db, workspaceId, contactIds, t, model.windowMs === null ? null : t - model.windowMs);
  const result = new Map<string, Map<string, Activity>>();
  for (const row of rows) {
    let byActor = result.get(row.contactId);
    if (!byActor) result.set(row.contactId, (byActor = new Map<string, Activity>()));
    byActor.set(row.actorId, { actorId: row.actorId, interactions: row.interactions, lastAt: row.lastAt });
  }
  return result;
}

function rank(
  model: ScoreModel,
  byActor: Map<string, number>,
  total: number,
  activity: Map<string, Activity>,
  members: Map<string, Member>,
): MemberStrength[] {
  const actors = new Set([...byActor.keys(), ...activity.keys()]);
  return [...actors]
    .map((actorId) => {
      const raw = byActor.get(actorId) ?? 0;
      const seen = activity.get(actorId);
      const member = members.get(actorId);
      return {
        actorId,
        name: member?.name ?? null,
        email: member?.email ?? null,
        strength: memberStrength(model, raw),
        share: total > 0 && raw > 0 ? round2((raw / total) * 100) : 0,
        interactions: seen?.interactions ?? 0,
        lastInteractionAt: seen?.lastAt ? new Date(seen.lastAt).toISOString() : null,
        raw,
      };
    })
    .sort(
      (x, y) =>
        y.raw - x.raw ||
        y.interactions - x.interactions ||
        (y.lastInteractionAt ?? '').localeCompare(x.lastInteractionAt ?? '') ||
        (x.actorId < y.actorId ? -1 : 1),
    )
    .map(({ raw: _raw, ...item }) => item);
}

/** The entries of some contacts that can still count at t (the window's, derived with who made each), per contact. */
function windowLedger(db: Queryable, workspaceId: string, version: ActiveVersion, contactIds: readonly string[], t: number) {
  const since = version.model.windowMs === null ? null : t - version.model.windowMs;
  return loadEntries(
    db,
    workspaceId,
    version,
    contactIds.map((contactId) => ({ contactId, since })),
  );
}

/** Team members of one contact, strongest first. */
export async function contactRelationships(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactId: string,
  t: number,
): Promise<MemberStrength[]> {
  const result = await relationshipsOfContacts(db, workspaceId, version, [contactId], t);
  return result.get(contactId) ?? [];
}

/** Team members per contact, strongest first, for several contacts at once. */
export async function relationshipsOfContacts(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactIds: readonly string[],
  t: number,
): Promise<Map<string, MemberStrength[]>> {
  const { model } = version;
  const ledger = await windowLedger(db, workspaceId, version, contactIds, t);
  const activity = await activityOf(db, workspaceId, contactIds, model, t);
  const actorIds = new Set<string>();
  for (const byActor of activity.values()) for (const actorId of byActor.keys()) actorIds.add(actorId);
  for (const entries of ledger.values()) for (const entry of entries) if (entry.actorId) actorIds.add(entry.actorId);
  const members = await membersById(db, workspaceId, [...actorIds]);
  const result = new Map<string, MemberStrength[]>();
  for (const contactId of contactIds) {
    const { byActor, total } = strengthsByActor(model, ledger.get(contactId) ?? [], t);
    result.set(contactId, rank(model, byActor, total, activity.get(contactId) ?? new Map<string, Activity>(), members));
  }
  return result;
}

/**
 * An account's score from its contacts' scores: the weighted mean of its (up to) five best contacts,
 * weights 5, 4, 3, 2, 1 — one cold contact in a big account does not sink it, one hot contact does
 * not carry it, and a one-contact account scores as that contact.
 */
export function rollUp(scores: readonly number[]): number | null {
  if (scores.length === 0) return null;
  const top = [...scores].sort((x, y) => y - x).slice(0, 5);
  let weighted = 0;
  let weights = 0;
  top.forEach((score, index) => {
    const weight = top.length - index;
    weighted += score * weight;
    weights += weight;
  });
  return round2(weighted / weights);
}

export type AccountOverview = {
  accountId: string;
  profileId: string;
  version: number;
  contacts: number;
  score: number | null;
  band: { name: string; color: string } | null;
  trend: { delta7d: number | null; delta30d: number | null };
  computedAt: string;
};

export async function accountOverview(
  db: Db,
  workspaceId: string,
  version: ActiveVersion,
  accountId: string,
  t: number,
): Promise<{ overview: AccountOverview; scores: Map<string, number> }> {
  const { model } = version;
  const [weekCorrections, monthCorrections] = [
    await periodCorrections(db, workspaceId, version, t, t - 7 * DAY_MS, { accountId }),
    await periodCorrections(db, workspaceId, version, t, t - 30 * DAY_MS, { accountId }),
  ];
  const [week, month] = await analyticalQuery(db, async (client) => [
    await scoresInPeriod(client, workspaceId, version.id, model, t, t - 7 * DAY_MS, weekCorrections, { accountId }),
    await scoresInPeriod(client, workspaceId, version.id, model, t, t - 30 * DAY_MS, monthCorrections, { accountId }),
  ]);
  // Only contacts with a score count (a profile's minInteractions), now and then alike.
  const scored = (values: (number | null)[]) => values.filter((value): value is number => value !== null);
  const current = week.filter((row) => row.scoreNow !== null);
  const score = rollUp(scored(current.map((row) => row.scoreNow)));
  const before7 = rollUp(scored(week.map((row) => row.scoreThen)));
  const before30 = rollUp(scored(month.map((row) => row.scoreThen)));
  const band = score === null ? null : model.bandOf(score);
  return {
    overview: {
      accountId,
      profileId: version.profileId,
      version: version.version,
      contacts: current.length,
      score,
      band: band ? { name: band.name, color: band.color } : null,
      trend: {
        delta7d: score === null || before7 === null ? null : round2(score - before7),
        delta30d: score === null || before30 === null ? null : round2(score - before30),
      },
      computedAt: new Date(t).toISOString(),
    },
    scores: new Map(current.map((row) => [row.contactId, row.scoreNow!])),
  };
}

/** The account's team members: strength from all their interactions with its contacts together. */
export async function accountMembers(
  db: Queryable,
  workspaceId: string,
  version: ActiveVersion,
  contactIds: readonly string[],
  t: number,
): Promise<MemberStrength[]> {
  const { model } = version;
  const ledger = await windowLedger(db, workspaceId, version, contactIds, t);
  const byActor = new Map<string, number>();
  let total = 0;
  for (const entries of ledger.values()) {
    const strengths = strengthsByActor(model, entries, t);
    total += strengths.total;
    for (const [actorId, raw] of strengths.byActor) byActor.set(actorId, (byActor.get(actorId) ?? 0) + raw);
  }
  const activity = await activityOf(db, workspaceId, contactIds, model, t);
  const merged = new Map<string, Activity>();
  for (const byContact of activity.values()) {
    for (const [actorId, seen] of byContact) {
      const current = merged.get(actorId);
      merged.set(
        actorId,
        current
          ? {
              actorId,
              interactions: current.interactions + seen.interactions,
              lastAt: Math.max(current.lastAt ?? 0, seen.lastAt ?? 0) || null,
            }
          : seen,
      );
    }
  }
  const members = await membersById(db, workspaceId, [...new Set([...byActor.keys(), ...merged.keys()])]);
  return rank(model, byActor, total, merged, members);
}
