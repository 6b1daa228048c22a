import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import {
  archiveProfile,
  createProfile,
  getProfile,
  listProfiles,
  listVersions,
  previewProfile,
  publishProfile,
  replaceDraft,
  restoreVersion,
  startImpact,
  validateDocument,
  type ProfileView,
} from '../../app/profiles';
import { profileDocumentSchema } from '../../scoring/profile';
import { profileJsonSchema } from '../../scoring/profile-schema';
import type { AppDeps } from '../deps';
import { problem } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import {
  bandSchema,
  clampSchema,
  contactIdSchema,
  countSchema,
  interactionInputSchema,
  isoDateTime,
  MAX_VERSION,
  uuidParams,
  versionNumberSchema,
} from '../schemas';

const profileSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(['points', 'relationship', 'manual']),
    status: z.enum(['draft', 'published', 'archived']).describe('draft: never published; published: a version is live; archived: deleted'),
    version: z.number().int().min(0).max(MAX_VERSION).describe('The live version (0 before the first publish)'),
    revision: z
      .number()
      .int()
      .min(1)
      .max(999_999_999)
      .describe('The draft’s revision, also the ETag; send it back in If-Match to refuse overwriting someone else’s change'),
    draft: profileDocumentSchema,
    published: profileDocumentSchema.nullable().describe('The live version’s document'),
    publishing: z
      .object({ version: versionNumberSchema, job: z.object({ id: z.uuid() }) })
      .nullable()
      .describe('A publish in progress'),
    live: z
      .object({
        version: versionNumberSchema,
        publishedAt: isoDateTime.nullable(),
        publishedBy: z.string().nullable().describe('The API key (its name) that published it'),
        contactsScored: countSchema,
      })
      .nullable()
      .describe('The version reads are served from'),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: 'Profile' });

const versionSchema = z
  .object({
    version: versionNumberSchema,
    state: z.enum(['publishing', 'live', 'retired', 'failed']),
    createdAt: isoDateTime,
    publishedAt: isoDateTime.nullable(),
    publishedBy: z.string().nullable(),
    document: profileDocumentSchema,
  })
  .meta({ id: 'ProfileVersion' });

const fieldProblemSchema = z.object({
  path: z.string().describe('Dotted path into the document, e.g. rules.0.conditions.all.0.path'),
  message: z.string(),
});

const previewItemSchema = z
  .object({
    contactId: z.string(),
    draft: z.object({
      score: z.number(),
      band: bandSchema,
      explanation: z.array(z.record(z.string(), z.unknown())),
      clamp: clampSchema,
    }),
    published: z
      .object({
        version: versionNumberSchema,
        score: z.number(),
        band: bandSchema,
        explanation: z.array(z.record(z.string(), z.unknown())),
      })
      .nullable(),
    delta: z.number().nullable(),
    bandChanged: z.boolean().nullable(),
  })
  .meta({ id: 'PreviewItem' });

const previewBody = z
  .strictObject({
    document: z.looseObject({}).optional().describe('An unsaved profile document to try (default: the saved draft)'),
    contactIds: z.array(contactIdSchema).min(1).max(100).optional().describe('Score these stored contacts'),
    interactions: z.array(interactionInputSchema).min(1).max(1000).optional().describe('Or score these interactions (nothing is stored)'),
  })
  .refine((body) => (body.contactIds ? 1 : 0) + (body.interactions ? 1 : 0) === 1, {
    message: 'give contactIds or interactions (one of them)',
    path: ['contactIds'],
  });

const ifMatchDescription =
  'Send `If-Match: "<revision>"` (the ETag of GET) to refuse the change with 412 when someone else saved the draft meanwhile.';

/** The revision an `If-Match` header names (undefined: none, or `*`). */
function ifMatch(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(header);
  if (!match)
    throw problem(
      412,
      `If-Match ${JSON.stringify(header)} names no revision of this profile; send the ETag of GET /v1/profiles/{id}, e.g. "3".`,
    );
  return Number(match[1]);
}

function withEtag(res: Response, view: ProfileView): ProfileView {
  res.setHeader('ETag', `"${view.revision}"`);
  return view;
}

const versionParams = z.strictObject({
  id: z.uuid(),
  version: z.coerce.number().int().min(1).max(MAX_VERSION).describe('The version number (1, 2, 3…)'),
});

export function profileRoutes(api: RouteRegistry, ctx: AppDeps): void {
  const actor = (auth: { workspaceId: string; keyId: string; keyName: string | null }) => ({
    workspaceId: auth.workspaceId,
    keyId: auth.keyId,
    keyName: auth.keyName,
  });

  api.add({
    method: 'get',
    path: '/v1/schemas/profile.json',
    operationId: 'getProfileSchema',
    tag: 'Profiles',
    summary: 'The JSON Schema of profile documents (for editors; documents may name it in "$schema")',
    role: 'public',
    response: z.record(z.string(), z.unknown()),
    handler: ({ req }) => profileJsonSchema(`${ctx.config.publicUrl ?? `${req.protocol}://${req.get('host')}`}/v1/schemas/profile.json`),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles',
    operationId: 'createProfile',
    tag: 'Profiles',
    summary: 'Create a score profile (as a draft)',
    description:
      'Rules are json-rules-engine rules over the facts `interaction` and `contact`. Invalid documents are refused with the path of each problem.',
    role: 'admin',
    body: profileDocumentSchema,
    status: 201,
    response: profileSchema,
    handler: async ({ auth, body, res }) => new Reply(201, withEtag(res, await createProfile(ctx, actor(auth), body))),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/validate',
    operationId: 'validateProfile',
    tag: 'Profiles',
    summary: 'Check an unsaved profile document: errors with their paths, and warnings given this workspace’s data',
    description:
      'Always 200: `valid` says whether the document could be saved. Warnings (a path no stored interaction has had, an interaction type never recorded here) do not stop a save.',
    role: 'reader',
    body: z.unknown().describe('A profile document'),
    response: z.object({ valid: z.boolean(), errors: z.array(fieldProblemSchema), warnings: z.array(fieldProblemSchema) }),
    handler: async ({ auth, body }) => validateDocument(ctx, auth.workspaceId, body),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/preview',
    operationId: 'previewDocument',
    tag: 'Profiles',
    summary: 'Try a profile document that is not saved anywhere on contacts or inline interactions',
    role: 'reader',
    body: previewBody.refine((body) => body.document !== undefined, { message: 'give the document to try', path: ['document'] }),
    response: z.object({ items: z.array(previewItemSchema) }),
    errors: [404],
    handler: async ({ auth, body }) =>
      previewProfile(ctx, auth.workspaceId, null, {
        ...body,
        interactions: body.interactions?.map((item) => ({ ...item, occurredAt: item.occurredAt ? new Date(item.occurredAt) : undefined })),
      }),
  });

  api.add({
    method: 'get',
    path: '/v1/profiles',
    operationId: 'listProfiles',
    tag: 'Profiles',
    summary: 'List profiles',
    role: 'reader',
    query: z.strictObject({ includeArchived: z.enum(['true', 'false']).default('false').describe('Also list archived profiles') }),
    response: z.object({ items: z.array(profileSchema) }),
    handler: async ({ auth, query }) => ({ items: await listProfiles(ctx, auth.workspaceId, query.includeArchived === 'true') }),
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id',
    operationId: 'getProfile',
    tag: 'Profiles',
    summary: 'Get a profile: its draft (with its revision as ETag) and its live version',
    role: 'reader',
    params: uuidParams,
    response: profileSchema,
    errors: [404],
    handler: async ({ auth, params, res }) => withEtag(res, await getProfile(ctx, auth.workspaceId, params.id)),
  });

  api.add({
    method: 'put',
    path: '/v1/profiles/:id',
    operationId: 'updateProfile',
    tag: 'Profiles',
    summary: 'Replace the draft (the live version is untouched until the next publish)',
    description: ifMatchDescription,
    role: 'admin',
    params: uuidParams,
    body: profileDocumentSchema,
    response: profileSchema,
    errors: [404, 409, 412],
    handler: async ({ auth, params, body, req, res }) => withEtag(res, await replaceDraft(ctx, actor(auth), params.id, body, ifMatch(req))),
  });

  api.add({
    method: 'delete',
    path: '/v1/profiles/:id',
    operationId: 'archiveProfile',
    tag: 'Profiles',
    summary: 'Archive a profile: it stops scoring and leaves lists; its history stays',
    role: 'admin',
    params: uuidParams,
    errors: [404],
    handler: async ({ auth, params }) => archiveProfile(ctx, actor(auth), params.id),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/publish',
    operationId: 'publishProfile',
    tag: 'Profiles',
    summary: 'Publish the draft as a new version, scoring every contact in the background',
    description: `Answers at once with the new version number and a job to follow at GET /v1/jobs/{id}. Reads keep serving the previous version until the job finishes, then switch in one step. Scores change silently unless \`notify\` is true. ${ifMatchDescription}`,
    role: 'admin',
    params: uuidParams,
    body: z
      .strictObject({ notify: z.boolean().default(false).describe('Deliver the threshold crossings the new version causes') })
      .default({ notify: false }),
    status: 202,
    response: z.object({ version: versionNumberSchema, job: z.object({ id: z.uuid() }) }),
    errors: [404, 409, 412],
    handler: async ({ auth, params, body, req }) =>
      new Reply(202, await publishProfile(ctx, actor(auth), params.id, { notify: body.notify, ifMatch: ifMatch(req) })),
  });

  api.add({
    method: 'get',
    path: '/v1/profiles/:id/versions',
    operationId: 'listProfileVersions',
    tag: 'Profiles',
    summary: 'Every published version, newest first, with who published it',
    role: 'reader',
    params: uuidParams,
    response: z.object({ items: z.array(versionSchema) }),
    errors: [404],
    handler: async ({ auth, params }) => ({ items: await listVersions(ctx, auth.workspaceId, params.id) }),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/versions/:version/restore',
    operationId: 'restoreProfileVersion',
    tag: 'Profiles',
    summary: 'Make a version’s document the draft again (publish it to make it live)',
    description: ifMatchDescription,
    role: 'admin',
    params: versionParams,
    response: profileSchema,
    errors: [404, 409, 412],
    handler: async ({ auth, params, req, res }) =>
      withEtag(res, await restoreVersion(ctx, actor(auth), params.id, params.version, ifMatch(req))),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/preview',
    operationId: 'previewProfile',
    tag: 'Profiles',
    summary: 'Test a record: score contacts (or inline interactions) with the draft — or an unsaved document — next to the published score',
    description:
      'Nothing is stored. Stored contacts are scored from all their interactions and adjustments; inline interactions are scored on their own under both the document and the published version.',
    role: 'reader',
    params: uuidParams,
    body: previewBody,
    response: z.object({ items: z.array(previewItemSchema) }),
    errors: [404],
    handler: async ({ auth, params, body }) =>
      previewProfile(ctx, auth.workspaceId, params.id, {
        ...body,
        interactions: body.interactions?.map((item) => ({ ...item, occurredAt: item.occurredAt ? new Date(item.occurredAt) : undefined })),
      }),
  });

  api.add({
    method: 'post',
    path: '/v1/profiles/:id/impact',
    operationId: 'profileImpact',
    tag: 'Profiles',
    summary: 'Before publishing: how the draft (or an unsaved document) would move every contact, computed by a job',
    description:
      'Follow the job at GET /v1/jobs/{id}; once it succeeded its `result` holds the band distribution under the document and the live version, how many contacts change band, the moves between bands, and the biggest movers.',
    role: 'admin',
    params: uuidParams,
    body: z.strictObject({ document: z.looseObject({}).optional().describe('Default: the saved draft') }).default({}),
    status: 202,
    response: z.object({ job: z.object({ id: z.uuid() }) }),
    errors: [404, 409],
    handler: async ({ auth, params, body }) => new Reply(202, await startImpact(ctx, actor(auth), params.id, body.document)),
  });
}
