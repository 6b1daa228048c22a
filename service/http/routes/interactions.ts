import { z } from 'zod/v4';
import { MAX_INTERACTIONS_PER_BATCH, recordInteractions, timeline } from '../../app/interactions';
import type { AppDeps } from '../deps';
import { Reply, type RouteRegistry } from '../route';
import {
  contactIdParams,
  cursorQuery,
  decodeCursor,
  encodeCursor,
  interactionInputSchema,
  isoDateTime,
  jsonObject,
  limitQuery,
  TOKEN_HEADER,
  tokenSchema,
  waitQuery,
} from '../schemas';

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

export function interactionRoutes(api: RouteRegistry, ctx: AppDeps): void {
  api.add({
    method: 'post',
    path: '/v1/interactions',
    operationId: 'recordInteractions',
    tag: 'Interactions',
    summary: `Record 1–${MAX_INTERACTIONS_PER_BATCH.toLocaleString('en')} interactions (all or nothing)`,
    description:
      'Answers as soon as the batch is stored durably; the scoring workers score it right after (usually within a second). `token` covers the batch: pass it as `consistency=` to a read that must see it scored, or send `wait=true` to answer only once it is. Unknown contacts are created. Repeated ids are skipped (`duplicates`). An invalid item rejects the whole batch, naming its index in `errors[].path`.',
    role: 'writer',
    automation: true,
    query: z.strictObject({ wait: waitQuery }),
    body: z.strictObject({
      interactions: z
        .array(interactionInputSchema)
        .min(1)
        .max(MAX_INTERACTIONS_PER_BATCH, `at most ${MAX_INTERACTIONS_PER_BATCH} interactions per batch`),
    }),
    response: z.object({
      accepted: z.number().int().min(0).max(MAX_INTERACTIONS_PER_BATCH).describe('Interactions stored'),
      duplicates: z.number().int().min(0).max(MAX_INTERACTIONS_PER_BATCH).describe('Interactions skipped: their id was recorded before'),
      token: tokenSchema,
      scored: z
        .boolean()
        .optional()
        .describe('With wait=true: false (status 202) when the batch is stored but was not scored within CONSISTENCY_TIMEOUT_MS'),
    }),
    responseDescription: '200 when stored (and, with wait=true, scored); 202 with wait=true when stored but not scored in time',
    handler: async ({ auth, query, body, res }) => {
      const result = await recordInteractions(
        ctx,
        auth.workspaceId,
        body.interactions.map((item) => ({ ...item, occurredAt: item.occurredAt === undefined ? undefined : new Date(item.occurredAt) })),
        { wait: query.wait },
      );
      res.setHeader(TOKEN_HEADER, result.token);
      return result.scored === false ? new Reply(202, result) : result;
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
      items: z.array(
        interactionSchema.extend({
          actor: z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable() }).nullable(),
          earned: z.array(earnedSchema),
        }),
      ),
      nextCursor: z.string().nullable(),
    }),
    errors: [404],
    handler: async ({ auth, params, query }) => {
      const page = await timeline(ctx, auth.workspaceId, params.contactId, query.limit, decodeCursor(query.cursor, timelineCursor));
      return { items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null };
    },
  });
}
