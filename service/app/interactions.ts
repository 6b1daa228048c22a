import { randomUUID } from 'node:crypto';
import { objectPaths } from '../scoring/profile-warnings';
import { getContact, touchContactsForInteractions } from '../store/contacts';
import { transaction } from '../store/db';
import {
  insertInteractions,
  listContactInteractions,
  toInteractionRecord,
  type Interaction,
  type NewInteraction,
  type TimelinePosition,
} from '../store/interactions';
import { earnedByInteractions } from '../store/ledger';
import { membersById } from '../store/members';
import { liveVersions } from '../store/profiles';
import { recordShapes, type Shape } from '../store/shapes';
import type { AppContext } from './context';
import { invalid, notFound, type FieldProblem } from './errors';

/** Recording interactions, and a contact's timeline with what each interaction earned. */

export const MAX_INTERACTIONS_PER_BATCH = 10_000;
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
const EARLIEST = Date.UTC(1970, 0, 1);

export type InteractionInput = {
  id?: string;
  contactId: string;
  type: string;
  occurredAt?: Date;
  actorId?: string | null;
  channel?: string | null;
  direction?: string | null;
  properties?: Record<string, unknown> | null;
};

export type IngestResult = { accepted: number; duplicates: number };

/** Dates a batch may not carry: more than five minutes in the future, or before 1970. */
export function occurredAtProblems(items: readonly { occurredAt?: Date }[], now: Date): FieldProblem[] {
  const latestAllowed = now.getTime() + FUTURE_TOLERANCE_MS;
  return items.flatMap((item, index) => {
    const at = item.occurredAt?.getTime();
    if (at === undefined) return [];
    if (at > latestAllowed) return [{ path: `interactions.${index}.occurredAt`, message: 'more than 5 minutes in the future' }];
    if (at < EARLIEST) return [{ path: `interactions.${index}.occurredAt`, message: 'before 1970-01-01' }];
    return [];
  });
}

/**
 * Stores a validated batch in one transaction: new interactions are inserted (repeated ids skipped),
 * their contacts created or touched (and locked), and the interactions scored under every active
 * profile version, so a stored interaction always has its contributions.
 */
export async function recordInteractions(ctx: AppContext, workspaceId: string, items: InteractionInput[]): Promise<IngestResult> {
  const now = ctx.clock.now();
  const problems = occurredAtProblems(items, now);
  if (problems.length > 0) throw invalid(`Invalid request body: ${problems.length} problem(s), see errors.`, problems);
  const rows: NewInteraction[] = items.map((item) => ({
    id: item.id ?? randomUUID(),
    contactId: item.contactId,
    type: item.type,
    occurredAt: item.occurredAt ?? now,
    actorId: item.actorId ?? null,
    channel: item.channel ?? null,
    direction: item.direction ?? null,
    properties: item.properties ?? null,
  }));
  const result = await transaction(ctx.db, async (client) => {
    const inserted = await insertInteractions(client, workspaceId, rows, now);
    if (inserted.length > 0) {
      const latest = new Map<string, { contactId: string; occurredAt: Date; type: string }>();
      for (const row of inserted) {
        const current = latest.get(row.contactId);
        if (!current || row.occurredAt > current.occurredAt)
          latest.set(row.contactId, { contactId: row.contactId, occurredAt: row.occurredAt, type: row.type });
      }
      const { contacts, createdIds } = await touchContactsForInteractions(client, workspaceId, [...latest.values()], now);
      await ctx.engine.onInteractions(client, workspaceId, inserted.map(toInteractionRecord), contacts, createdIds, now.getTime());
    }
    return { accepted: inserted.length, duplicates: items.length - inserted.length };
  });
  // What the data looks like, for the profile editor's warnings (only what is new reaches the database).
  const shapes = new Map<string, Shape>();
  for (const row of rows) {
    shapes.set(`t${row.type}`, { kind: 'type', value: row.type });
    if (row.properties) for (const path of objectPaths(row.properties)) shapes.set(`p${path}`, { kind: 'property', value: path });
  }
  await recordShapes(ctx.db, workspaceId, [...shapes.values()]).catch(() => undefined);
  return result;
}

/** One page of a contact's timeline, newest first: who each interaction was with and what it earned in each published profile. */
export async function timeline(
  ctx: AppContext,
  workspaceId: string,
  contactId: string,
  limit: number,
  after: TimelinePosition | undefined,
) {
  if (!(await getContact(ctx.db, workspaceId, contactId))) throw notFound(`No contact ${contactId}.`);
  const page = await listContactInteractions(ctx.db, workspaceId, contactId, limit, after);
  return { items: await withEarnings(ctx, workspaceId, contactId, page.interactions), next: page.more && page.last ? page.last : null };
}

async function withEarnings(ctx: AppContext, workspaceId: string, contactId: string, interactions: Interaction[]) {
  const versions = await liveVersions(ctx.db, workspaceId);
  const rows = await earnedByInteractions(
    ctx.db,
    workspaceId,
    versions.map((version) => version.id),
    contactId,
    interactions,
  );
  const members = await membersById(ctx.db, workspaceId, [
    ...new Set(interactions.flatMap((interaction) => (interaction.actorId ? [interaction.actorId] : []))),
  ]);
  return interactions.map(({ seq, ...interaction }) => {
    const earned = versions.flatMap((version) => {
      const matches = rows.filter((row) => row.seq === seq && row.versionId === version.id);
      if (matches.length === 0) return [];
      const { profile } = ctx.engine.model(version);
      return [
        {
          profileId: version.profileId,
          profileName: version.profileName,
          points: matches.reduce((sum, match) => sum + (match.counted ? match.points : 0), 0),
          rules: matches.map((match) => ({
            rule: profile.rules[match.rule]?.name ?? String(match.rule),
            points: match.points,
            counted: match.counted,
          })),
        },
      ];
    });
    const member = interaction.actorId ? members.get(interaction.actorId) : undefined;
    return {
      ...interaction,
      actor: interaction.actorId ? { id: interaction.actorId, name: member?.name ?? null, email: member?.email ?? null } : null,
      earned,
    };
  });
}
