import { z } from 'zod/v4';
import { insertApiKey, listApiKeys, revokeApiKey } from '../../store/keys';
import type { AppDeps } from '../deps';
import { notFound } from '../problem';
import { Reply, type RouteRegistry } from '../route';
import { uuidParams } from '../schemas';

const roleSchema = z
  .enum(['admin', 'writer', 'reader', 'automation'])
  .describe(
    'admin: everything; writer: contacts, interactions, adjustments and reads; reader: reads only; automation (for n8n and other workflow tools): reads, recording interactions and managing subscriptions, nothing else',
  );

const keySchema = z
  .object({
    id: z.uuid(),
    role: roleSchema,
    name: z.string().nullable(),
    origin: z.enum(['api', 'cli', 'bootstrap', 'environment']),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe('Recorded at most once a minute per instance'),
  })
  .meta({ id: 'ApiKey' });

const createdKeySchema = keySchema
  .extend({ key: z.string().describe('The key itself: shown this once, stored only as a hash') })
  .meta({ id: 'CreatedApiKey' });

export function accessRoutes(api: RouteRegistry, { db, clock }: AppDeps): void {
  api.add({
    method: 'get',
    path: '/v1/me',
    operationId: 'getMe',
    tag: 'Access',
    summary: 'Who am I: the workspace and role of the API key (the n8n credential test)',
    role: 'reader',
    response: z.object({
      workspace: z.object({ id: z.uuid(), name: z.string() }),
      role: roleSchema,
      key: z.object({ id: z.uuid(), name: z.string().nullable() }),
    }),
    handler: ({ auth }) => ({
      workspace: { id: auth.workspaceId, name: auth.workspaceName },
      role: auth.role,
      key: { id: auth.keyId, name: auth.keyName },
    }),
  });

  api.add({
    method: 'post',
    path: '/v1/keys',
    operationId: 'createKey',
    tag: 'Access',
    summary: 'Create an API key (the answer is the only time the key is shown)',
    role: 'admin',
    body: z.strictObject({ role: roleSchema, name: z.string().min(1).max(200).optional() }),
    status: 201,
    response: createdKeySchema,
    handler: async ({ auth, body }) => {
      const created = await insertApiKey(db, { workspaceId: auth.workspaceId, role: body.role, name: body.name ?? null, origin: 'api' });
      return new Reply(201, {
        id: created.id,
        role: created.role,
        name: created.name,
        origin: created.origin,
        createdAt: created.createdAt,
        lastUsedAt: created.lastUsedAt,
        key: created.key,
      });
    },
  });

  api.add({
    method: 'get',
    path: '/v1/keys',
    operationId: 'listKeys',
    tag: 'Access',
    summary: "List the workspace's active API keys (never the keys themselves)",
    role: 'admin',
    response: z.object({ items: z.array(keySchema) }),
    handler: async ({ auth }) => {
      const keys = await listApiKeys(db, auth.workspaceId);
      return { items: keys.map(({ workspaceId: _workspaceId, ...key }) => key) };
    },
  });

  api.add({
    method: 'delete',
    path: '/v1/keys/:id',
    operationId: 'revokeKey',
    tag: 'Access',
    summary: 'Revoke an API key at once',
    role: 'admin',
    params: uuidParams,
    errors: [404],
    handler: async ({ auth, params }) => {
      if (!(await revokeApiKey(db, auth.workspaceId, params.id, clock.now())))
        throw notFound(`No active API key ${params.id} in this workspace.`);
      return undefined;
    },
  });
}
