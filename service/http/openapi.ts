import { z } from 'zod/v4';
import type { RouteDefinition } from './route';
import { problemSchema } from './schemas';

type JsonSchema = Record<string, unknown>;

/** Converts one zod schema; named sub-schemas (`.meta({ id })`) go to shared components. */
function convert(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  const { $defs, $schema: _dialect, id, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema>; id?: string };
  Object.assign(components, $defs ?? {});
  if (typeof id === 'string') {
    components[id] = rest;
    return { $ref: `#/$defs/${id}` };
  }
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query', components: Record<string, JsonSchema>) {
  if (!schema) return [];
  const json = convert(schema, 'input', components) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    description: (property.description as string | undefined) ?? undefined,
    schema: property,
    ...(location === 'query' && (property.anyOf as unknown[] | undefined)?.length ? { explode: true } : {}),
  }));
}

/**
 * The answer's content: JSON, or for a schema with `.meta({ mediaTypes: [...] })` (charts: SVG, PNG)
 * the body itself under each of those media types.
 */
function responseContent(schema: z.ZodType, components: Record<string, JsonSchema>): Record<string, unknown> {
  const mediaTypes = (z.globalRegistry.get(schema) as { mediaTypes?: unknown } | undefined)?.mediaTypes;
  if (!Array.isArray(mediaTypes)) return { 'application/json': { schema: convert(schema, 'output', components) } };
  return Object.fromEntries(mediaTypes.map((type) => [String(type), { schema: { type: 'string', contentMediaType: String(type) } }]));
}

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input: `errors` names each field',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key’s role is too low',
  404: 'Not found in this workspace',
  406: 'The Accept header allows none of the media types this answer comes in',
  409: 'Conflicts with the current state',
  413: 'Body or batch too large',
  429: 'Rate limit exceeded',
};

export function buildOpenApi(routes: RouteDefinition[], info: { version: string; serverUrl?: string }): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const problemRef = convert(problemSchema, 'output', components);
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = {};
    const status = String(route.status ?? (route.response ? 200 : 204));
    responses[status] = {
      description: route.responseDescription ?? 'Success',
      ...(route.response ? { content: responseContent(route.response, components) } : {}),
    };
    const errorStatuses = new Set<number>(route.errors ?? []);
    if (route.role !== 'public') [401, 403, 429].forEach((code) => errorStatuses.add(code));
    if (route.params || route.query || route.body) errorStatuses.add(400);
    if (route.body) errorStatuses.add(413);
    for (const code of [...errorStatuses].sort()) {
      responses[String(code)] = {
        description: errorDescriptions[code] ?? 'Error',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(route.role === 'public' ? { security: [] } : { 'x-required-role': route.role }),
      parameters: [...parameters(route.params, 'path', components), ...parameters(route.query, 'query', components)],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: convert(route.body, 'input', components) } } } }
        : {}),
      responses,
    };
  }
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Engagement Score API',
      version: info.version,
      description: 'Score every contact from its interactions, explain the scores, and get told when they cross a threshold.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' } },
    },
  };
  // zod names shared schemas under $defs; OpenAPI keeps them under components.
  return JSON.parse(JSON.stringify(document).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}
