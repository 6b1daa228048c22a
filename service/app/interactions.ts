import { interactionsReceived } from '../metrics';
import { randomUUID } from 'node:crypto';
import { objectPaths } from '../scoring/profile-warnings';
import { groupBy } from '../scoring/engine';
import { contactFact, matchInteractions } from '../scoring/evaluate';
import { getContact, type Contact } from '../store/contacts';
import { transaction } from '../store/db';
import {
  listContactInteractions,
  toInteractionRecord,
  type Interaction,
  type NewInteraction,
  type TimelinePosition,
} from '../store/interactions';
import { appendInteractions } from '../store/scoring-log';
import { limitMarksOf } from '../store/ledger';
import { membersById } from '../store/members';
import { liveVersions } from '../store/profiles';
import { recordShapes, type Shape } from '../store/shapes';
import { encodeToken, scoredInTime } from './consistency';
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

/** `scored`: with `wait`, whether the batch was scored in time (it is stored either way). */
export type IngestResult = { accepted: number; duplicates: number; token: string; scored?: boolean };

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
 * Appends a validated batch to the log in one transaction (repeated ids skipped, unknown contacts
 * created) and answers once it is committed, with the token that covers it. The scoring workers score
 * it right after; with `wait`, the answer waits for that (bounded: past the timeout it says the batch
 * is stored but not scored yet, and the token tells a later read what to wait for).
 */
export async function recordInteractions(
  ctx: AppContext,
  workspaceId: string,
  items: InteractionInput[],
  options: { wait?: boolean } = {},
): Promise<IngestResult> {
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
  const appended = await transaction(ctx.db, (client) => appendInteractions(client, workspaceId, rows, now));
  interactionsReceived.inc({ outcome: 'accepted' }, appended.accepted);
  interactionsReceived.inc({ outcome: 'duplicate' }, appended.duplicates);
  // What the data looks like, for the profile editor's warnings (only what is new reaches the database).
  const shapes = new Map<string, Shape>();
  for (const row of rows) {
    shapes.set(`t${row.type}`, { kind: 'type', value: row.type });
    if (row.properties) for (const path of objectPaths(row.properties)) shapes.set(`p${path}`, { kind: 'property', value: path });
  }
  await recordShapes(ctx.db, workspaceId, [...shapes.values()]).catch(() => undefined);
  const result: IngestResult = { accepted: appended.accepted, duplicates: appended.duplicates, token: encodeToken(appended.token) };
  if (options.wait)
    result.scored = await scoredInTime(
      ctx,
      appended.token,
      rows.map((row) => row.contactId),
    );
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
  const contact = await getContact(ctx.db, workspaceId, contactId);
  if (!contact) throw notFound(`No contact ${contactId}.`);
  const page = await listContactInteractions(ctx.db, workspaceId, contactId, limit, after);
  return { items: await withEarnings(ctx, workspaceId, contact, page.interactions), next: page.more && page.last ? page.last : null };
}

/**
 * What each interaction earned in each published profile: what the rules make of it with the contact
 * as it is now, less the matches a limit stopped. An interaction not scored yet has earned nothing yet.
 */
async function withEarnings(ctx: AppContext, workspaceId: string, contact: Contact, interactions: (Interaction & { scored: boolean })[]) {
  const versions = (await liveVersions(ctx.db, workspaceId)).map((row) => ctx.engine.activate(row));
  const scored = interactions.filter((interaction) => interaction.scored);
  const marks = await limitMarksOf(
    ctx.db,
    workspaceId,
    versions.map((version) => version.id),
    contact.id,
    scored,
  );
  const stopped = new Set(marks.map((mark) => `${mark.versionId}/${mark.seq}/${mark.rule}`));
  const facts = new Map([[contact.id, contactFact(contact)]]);
  const matches = new Map(
    versions.map((version) => [
      version.id,
      groupBy(matchInteractions(version.profile, scored.map(toInteractionRecord), facts), (match) => String(match.interactionSeq)),
    ]),
  );
  const members = await membersById(ctx.db, workspaceId, [
    ...new Set(interactions.flatMap((interaction) => (interaction.actorId ? [interaction.actorId] : []))),
  ]);
  return interactions.map(({ seq, scored: _scored, ...interaction }) => {
    const earned = versions.flatMap((version) => {
      const found = matches.get(version.id)!.get(String(seq)) ?? [];
      if (found.length === 0) return [];
      const rules = found.map((match) => ({
        rule: version.profile.rules[match.rule]?.name ?? String(match.rule),
        points: match.points,
        counted: !stopped.has(`${version.id}/${seq}/${match.rule}`),
      }));
      return [
        {
          profileId: version.profileId,
          profileName: version.profileName,
          points: rules.reduce((sum, rule) => sum + (rule.counted ? rule.points : 0), 0),
          rules,
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
