import { z } from 'zod/v4';
import { ingestInteractions } from '../../scoring/ingest';
import { getContact } from '../../store/contacts';
import { listContactInteractions, type Interaction } from '../../store/interactions';
import { membersById } from '../../store/members';
import { liveVersions } from '../../store/profiles';
import type { AppDeps } from '../deps';
import { badRequest, notFound, type FieldError } from '../problem';
import type { RouteRegistry } from '../route';
import { contactIdParams, cursorQuery, decodeCursor, encodeCursor, interactionInputSchema, isoDateTime, jsonObject, limitQuery } from '../schemas';

export const MAX_INTERACTIONS_PER_BATCH = 10_000;
const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;
const EARLIEST = Date.UTC(1970, 0, 1);

const interactionSchema = z
  .object({
    id: z.string(),
    contactId: z.string(),
    type: z.string(),
    occurredAt: isoDateTime,
    receivedAt: isoDateTime,
    actorId: z.string().nullable(),
    channel: z.string().nullable(),
    direction: z.string().nullable(),
    properties: jsonObject.nullable(),
  })
  .meta({ id: 'Interaction' });

const timelineCursor = z.strictObject({ at: isoDateTime, seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

const earnedSchema = z.object({
  profileId: z.uuid(),
  profileName: z.string(),
  points: z.number().describe('What it earned when it happened (weight, for relationship profiles), before decay'),
  rules: z.array(z.object({ rule: z.string(), points: z.number(), counted: z.boolean().describe('false: beyond the rule’s limit') })),
});

export function interactionRoutes(api: RouteRegistry, { db, clock, engine }: AppDeps): void {
  /** What each interaction earned in each published profile, and who it was with (context recall). */
  async function enrich(workspaceId: string, interactions: Interaction[]) {
    const versions = await liveVersions(db, workspaceId);
    const times = interactions.map((interaction) => interaction.occurredAt.getTime());
    const { rows } = interactions.length === 0 ? { rows: [] } : await db.query<{ seq: number; versionId: number; rule: number; points: number; counted: boolean }>(
      `SELECT interaction_seq AS seq, version_id AS "versionId", rule, points, counted FROM score_ledger
        WHERE workspace_id = $1 AND version_id = ANY($2::bigint[]) AND contact_id = $3 AND at BETWEEN $4 AND $5
          AND interaction_seq = ANY($6::bigint[]) AND kind = 0`,
      [workspaceId, versions.map((version) => version.id), interactions[0]!.contactId, new Date(Math.min(...times)), new Date(Math.max(...times)), interactions.map((interaction) => interaction.seq)],
    );
    const members = await membersById(db, workspaceId, [...new Set(interactions.flatMap((interaction) => (interaction.actorId ? [interaction.actorId] : [])))]);
    return interactions.map(({ seq, ...interaction }) => {
      const earned = versions.flatMap((version) => {
        const matches = rows.filter((row) => row.seq === seq && row.versionId === version.id);
        if (matches.length === 0) return [];
        const { profile } = engine.model(version);
        return [{
          profileId: version.profileId,
          profileName: version.profileName,
          points: matches.reduce((sum, match) => sum + (match.counted ? match.points : 0), 0),
          rules: matches.map((match) => ({ rule: profile.rules[match.rule]?.name ?? String(match.rule), points: match.points, counted: match.counted })),
        }];
      });
      const member = interaction.actorId ? members.get(interaction.actorId) : undefined;
      return { ...interaction, actor: interaction.actorId ? { id: interaction.actorId, name: member?.name ?? null, email: member?.email ?? null } : null, earned };
    });
  }

  api.add({
    method: 'post',
    path: '/v1/interactions',
    operationId: 'recordInteractions',
    tag: 'Interactions',
    summary: `Record 1–${MAX_INTERACTIONS_PER_BATCH.toLocaleString('en')} interactions (all or nothing)`,
    description: 'Unknown contacts are created. An invalid item rejects the whole batch, naming its index in `errors[].path`.',
    role: 'writer',
    body: z.strictObject({
      interactions: z.array(interactionInputSchema).min(1).max(MAX_INTERACTIONS_PER_BATCH, `at most ${MAX_INTERACTIONS_PER_BATCH} interactions per batch`),
    }),
    response: z.object({ accepted: z.number().int(), duplicates: z.number().int() }),
    handler: async ({ auth, body }) => {
      const now = clock.now();
      const latestAllowed = now.getTime() + FUTURE_TOLERANCE_MS;
      const errors: FieldError[] = [];
      const items = body.interactions.map((item, index) => {
        const occurredAt = item.occurredAt === undefined ? undefined : new Date(item.occurredAt);
        if (occurredAt && occurredAt.getTime() > latestAllowed) {
          errors.push({ path: `interactions.${index}.occurredAt`, message: 'more than 5 minutes in the future' });
        } else if (occurredAt && occurredAt.getTime() < EARLIEST) {
          errors.push({ path: `interactions.${index}.occurredAt`, message: 'before 1970-01-01' });
        }
        return { ...item, occurredAt };
      });
      if (errors.length > 0) throw badRequest(`Invalid request body: ${errors.length} problem(s), see errors.`, errors);
      return ingestInteractions(db, engine, auth.workspaceId, items, now);
    },
  });

  api.add({
    method: 'get',
    path: '/v1/contacts/:contactId/interactions',
    operationId: 'listContactInteractions',
    tag: 'Interactions',
    summary: "A contact's timeline, newest first: who each interaction was with and what it earned in each profile",
    role: 'reader',
    params: contactIdParams,
    query: z.strictObject({ limit: limitQuery(1000, 50), cursor: cursorQuery }),
    response: z.object({
      items: z.array(interactionSchema.extend({ actor: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(), earned: z.array(earnedSchema) })),
      nextCursor: z.string().nullable(),
    }),
    errors: [404],
    handler: async ({ auth, params, query }) => {
      const after = decodeCursor(query.cursor, timelineCursor);
      if (!(await getContact(db, auth.workspaceId, params.contactId))) throw notFound(`No contact ${params.contactId}.`);
      const page = await listContactInteractions(db, auth.workspaceId, params.contactId, query.limit, after);
      return {
        items: await enrich(auth.workspaceId, page.interactions),
        nextCursor: page.more && page.last ? encodeCursor(page.last) : null,
      };
    },
  });
}
