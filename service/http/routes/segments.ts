import { z } from 'zod/v4';
import {
  createSegment,
  deleteSegment,
  listSegmentsOf,
  replaceSegment,
  requireSegmentRow,
  segmentContacts,
  segmentSize,
} from '../../app/segments';
import { DURATION_PATTERN } from '../../scoring/segments';
import type { Segment } from '../../store/segments';
import type { AppDeps } from '../deps';
import { Reply, type RouteRegistry } from '../route';
import { consistencyQuery, countSchema, cursorQuery, decodeCursor, idParams, isoDateTime, limitQuery } from '../schemas';
import { contactPageJson, plainCursors, scoredContactSchema, scoredCursors, sorts } from './contacts';

const duration = z
  .string()
  .regex(DURATION_PATTERN, 'a duration such as 30d, 12h, 90m or 2w')
  .describe('A duration relative to now: a number and m(inutes), h(ours), d(ays) or w(eeks), e.g. 30d');
const tagList = z.array(z.string().min(1).max(100)).min(1).max(100);

export const segmentFilterSchema = z
  .strictObject({
    profileId: z.uuid().optional().describe('Score contacts in this published profile (needed by minScore, maxScore and band)'),
    minScore: z.number().min(-1e9).max(1e9).optional().describe('Score at least this (inclusive)'),
    maxScore: z.number().min(-1e9).max(1e9).optional().describe('Score at most this (inclusive)'),
    band: z.string().min(1).max(100).optional().describe('In this band of the profile'),
    tags: tagList.optional().describe('Any of these tags'),
    allTags: tagList.optional().describe('All of these tags'),
    accountId: z.string().min(1).max(200).optional().describe('Contacts of this account'),
    ownerId: z.string().min(1).max(200).optional().describe('Contacts this team member owns'),
    lastInteractionBefore: duration.optional().describe('The last interaction is older than this (never interacted counts), e.g. 30d'),
    lastInteractionAfter: duration.optional().describe('The last interaction is at most this old, e.g. 7d'),
  })
  .superRefine((filter, context) => {
    for (const field of ['minScore', 'maxScore', 'band'] as const)
      if (filter[field] !== undefined && filter.profileId === undefined)
        context.addIssue({ code: 'custom', path: [field], message: `${field} needs profileId` });
    if (filter.minScore !== undefined && filter.maxScore !== undefined && filter.minScore > filter.maxScore)
      context.addIssue({ code: 'custom', path: ['maxScore'], message: 'maxScore is below minScore' });
  })
  .meta({ id: 'SegmentFilter' });

const segmentBody = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('Unique in the workspace (any case)'),
  description: z.string().max(2000).nullable().optional(),
  filter: segmentFilterSchema,
});

const segmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    filter: segmentFilterSchema,
    watched: z.boolean().describe('A subscription hears its entries and exits'),
    size: countSchema.describe('How many contacts it holds now'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Segment' });

function segmentJson(segment: Segment, size: number) {
  return {
    id: segment.id,
    name: segment.name,
    description: segment.description,
    filter: segment.filter,
    watched: segment.membersSince !== null,
    size,
    createdAt: segment.createdAt,
    updatedAt: segment.updatedAt,
  };
}

export function segmentRoutes(api: RouteRegistry, ctx: AppDeps): void {
  const params = idParams('segment');
  api.add({
    method: 'post',
    path: '/v1/segments',
    operationId: 'createSegment',
    tag: 'Segments',
    summary: 'Save a segment: a named contact filter that stays current (a smart list)',
    description:
      'The filter takes what `GET /v1/contacts` filters by (a profile with `minScore`/`maxScore`/`band`, any of `tags`, `accountId`, `ownerId`), plus `allTags` and last-interaction windows (`lastInteractionBefore: "30d"`: not heard from in 30 days). Members are decided when asked, so the segment is always current; subscribe to `segment.entered` / `segment.left` to hear who moves in and out.',
    role: 'writer',
    body: segmentBody,
    status: 201,
    response: segmentSchema,
    errors: [409],
    handler: async ({ auth, body }) => {
      const segment = await createSegment(ctx, auth.workspaceId, body);
      return new Reply(201, segmentJson(segment, await segmentSize(ctx, auth.workspaceId, segment)));
    },
  });

  api.add({
    method: 'get',
    path: '/v1/segments',
    operationId: 'listSegments',
    tag: 'Segments',
    summary: 'List the segments, each with its size now',
    role: 'reader',
    response: z.object({ items: z.array(segmentSchema) }),
    handler: async ({ auth }) => {
      const segments = await listSegmentsOf(ctx, auth.workspaceId);
      const items = [];
      for (const segment of segments) {
        // A segment whose profile is gone still lists (size 0); reading its members says why.
        const size = await segmentSize(ctx, auth.workspaceId, segment).catch(() => 0);
        items.push(segmentJson(segment, size));
      }
      return { items };
    },
  });

  api.add({
    method: 'get',
    path: '/v1/segments/:id',
    operationId: 'getSegment',
    tag: 'Segments',
    summary: 'Get a segment with its size now',
    role: 'reader',
    params,
    response: segmentSchema,
    errors: [404, 409],
    handler: async ({ auth, params: { id } }) => {
      const segment = await requireSegmentRow(ctx.db, auth.workspaceId, id);
      return segmentJson(segment, await segmentSize(ctx, auth.workspaceId, segment));
    },
  });

  api.add({
    method: 'put',
    path: '/v1/segments/:id',
    operationId: 'replaceSegment',
    tag: 'Segments',
    summary: 'Replace a segment’s name, description and filter',
    description:
      'A segment a subscription hears takes its members anew from the new filter, silently: editing a segment is not an entry or an exit.',
    role: 'writer',
    params,
    body: segmentBody,
    response: segmentSchema,
    errors: [404, 409],
    handler: async ({ auth, params: { id }, body }) => {
      const segment = await replaceSegment(ctx, auth.workspaceId, id, body);
      return segmentJson(segment, await segmentSize(ctx, auth.workspaceId, segment));
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/segments/:id',
    operationId: 'deleteSegment',
    tag: 'Segments',
    summary: 'Delete a segment; its subscriptions end with it',
    role: 'writer',
    params,
    errors: [404],
    handler: async ({ auth, params: { id } }) => deleteSegment(ctx, auth.workspaceId, id),
  });

  api.add({
    method: 'get',
    path: '/v1/segments/:id/contacts',
    operationId: 'listSegmentContacts',
    tag: 'Segments',
    summary: 'The segment’s members now, exact at request time (the same sorts, cursors and speed as GET /v1/contacts)',
    role: 'reader',
    params,
    query: z.strictObject({
      sort: z.enum(sorts).optional().describe('Default: -score for a segment with a profile, else id'),
      limit: limitQuery(1000, 50),
      cursor: cursorQuery,
      consistency: consistencyQuery,
    }),
    response: z.object({ items: z.array(scoredContactSchema), nextCursor: z.string().nullable() }),
    errors: [404, 409],
    handler: async ({ auth, params: { id }, query }) => {
      const segment = await requireSegmentRow(ctx.db, auth.workspaceId, id);
      const scored = segment.filter.profileId !== undefined;
      const sort = query.sort ?? (scored ? '-score' : 'id');
      const after = decodeCursor(query.cursor, (scored ? scoredCursors : plainCursors).get(sort)!);
      const page = await segmentContacts(
        ctx,
        auth.workspaceId,
        segment,
        { sort: query.sort, limit: query.limit, consistency: query.consistency },
        after,
      );
      return contactPageJson(page);
    },
  });
}
