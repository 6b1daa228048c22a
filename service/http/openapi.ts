import { z } from 'zod/v4';
import { parameterExample, requestExamples, responseExamples, type NamedExample } from './examples';
import type { RouteDefinition } from './route';
import { problemSchema, TOKEN_HEADER } from './schemas';

type JsonSchema = Record<string, unknown>;

/**
 * What zod writes for bounds nobody declared: `.int()` alone becomes ±Number.MAX_SAFE_INTEGER, and
 * date-times and emails carry zod's own regular expressions (from which Swagger UI makes up values
 * such as dates in the year 5536). The format says it all, so those patterns are left out.
 */
function withoutArtefacts(json: JsonSchema): void {
  if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
  if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
  if ((json.format === 'date-time' || json.format === 'email') && typeof json.pattern === 'string') delete json.pattern;
}

/** Rewrites every `$ref` to `#/$defs/<from>` into a ref to `<to>`. */
function renameRefs(value: unknown, renames: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameRefs(item, renames));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === '$ref' && typeof item === 'string') {
        const name = item.replace('#/$defs/', '');
        return [key, renames.has(name) ? `#/$defs/${renames.get(name)}` : item];
      }
      return [key, renameRefs(item, renames)];
    }),
  );
}

/**
 * Converts one zod schema; named sub-schemas (`.meta({ id })`) go to shared components. Schemas zod
 * must share without an id (recursive ones) would be `__schema0`, `__schema1`…: they are named after
 * `name` (the operation and the part of it) instead.
 */
function convert(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>, name: string): JsonSchema {
  const raw = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => withoutArtefacts(jsonSchema),
  }) as JsonSchema;
  const renames = new Map<string, string>();
  for (const key of Object.keys((raw.$defs as Record<string, JsonSchema> | undefined) ?? {}))
    if (/^__schema\d+$/.test(key)) renames.set(key, `${name}${renames.size === 0 ? '' : renames.size + 1}`);
  const json = renameRefs(raw, renames) as JsonSchema;
  const { $defs, $schema: _dialect, id, ...rest } = json as JsonSchema & { $defs?: Record<string, JsonSchema>; id?: string };
  for (const [key, definition] of Object.entries($defs ?? {})) {
    const { id: _id, ...body } = definition;
    components[renames.get(key) ?? key] = body;
  }
  if (typeof id === 'string') {
    components[id] = rest;
    return { $ref: `#/$defs/${id}` };
  }
  return rest;
}

const pascal = (operationId: string) => operationId.charAt(0).toUpperCase() + operationId.slice(1);

/** `{id}` without a description of its own: the id of what its path names (`/v1/jobs/{id}`: the job). */
function idDescription(pathTemplate: string): string | undefined {
  const collection = /\/([\w-]+)\/\{id\}/.exec(pathTemplate)?.[1];
  if (!collection) return undefined;
  const singular = collection.replace(/ies$/, 'y').replace(/s$/, '');
  return `The ${singular}’s id (a UUID)`;
}

function parameters(route: RouteDefinition, pathTemplate: string, location: 'path' | 'query', components: Record<string, JsonSchema>) {
  const schema = location === 'path' ? route.params : route.query;
  if (!schema) return [];
  const part = location === 'path' ? 'Params' : 'Query';
  const json = convert(schema, 'input', components, `${pascal(route.operationId)}${part}`) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    const example = location === 'path' || name === 'profileId' ? parameterExample(pathTemplate, name) : undefined;
    return {
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      description: (description as string | undefined) ?? (name === 'id' ? idDescription(pathTemplate) : undefined),
      schema: propertySchema,
      ...(example === undefined ? {} : { example }),
      ...(location === 'query' && (property.anyOf as unknown[] | undefined)?.length ? { explode: true } : {}),
    };
  });
}

/** Named examples of a media type (Swagger UI offers the first one in "Try it out"). */
function examplesOf(examples: NamedExample[]): Record<string, { summary: string; value: unknown }> {
  return Object.fromEntries(examples.map((example, index) => [index === 0 ? 'default' : `example${index + 1}`, example]));
}

/**
 * The answer's content: JSON, or for a schema with `.meta({ mediaTypes: [...] })` (charts: SVG, PNG)
 * the body itself under each of those media types.
 */
function responseContent(
  schema: z.ZodType,
  components: Record<string, JsonSchema>,
  name: string,
  example: { summary: string; value: unknown } | undefined,
): Record<string, unknown> {
  const mediaTypes = (z.globalRegistry.get(schema) as { mediaTypes?: unknown } | undefined)?.mediaTypes;
  if (!Array.isArray(mediaTypes))
    return {
      'application/json': { schema: convert(schema, 'output', components, name), ...(example ? { examples: examplesOf([example]) } : {}) },
    };
  return Object.fromEntries(mediaTypes.map((type) => [String(type), { schema: { type: 'string', contentMediaType: String(type) } }]));
}

const errorDescriptions: Record<number, string> = {
  400: 'Invalid input: `errors` names each field',
  401: 'Missing, unknown or revoked API key',
  403: 'The API key’s role is too low',
  404: 'Not found in this workspace',
  406: 'The Accept header allows none of the media types this answer comes in',
  409: 'Conflicts with the current state',
  412: 'The `If-Match` revision is not the draft’s current one: someone else saved it meanwhile',
  413: 'Body or batch too large',
  415: 'The body’s encoding or charset is not supported',
  429: 'Rate limit exceeded: retry after `Retry-After` seconds',
  431: 'The request line and headers are larger than 16 KB',
  503: 'The database is unavailable right now (nothing was changed): retry after `Retry-After` seconds',
};

/** Response headers, declared once under components.headers. */
const headers: Record<string, { description: string; schema: JsonSchema; example?: unknown }> = {
  'X-Request-Id': {
    description: 'The request’s id in the service’s logs: the caller’s own `X-Request-Id` (1–128 of `A-Za-z0-9_.:-`), else a new UUID',
    schema: { type: 'string', minLength: 1, maxLength: 128 },
    example: '0b6f1c7e-3f43-4a8e-9d2a-6d1c2f0b9e55',
  },
  RateLimit: {
    description:
      'Requests left in the current one-second window and seconds until it resets (IETF draft-ietf-httpapi-ratelimit-headers-08), on every /v1 answer while RATE_LIMIT_PER_SECOND is above 0',
    schema: { type: 'string' },
    example: '"1000-in-1sec"; r=998; t=1',
  },
  'RateLimit-Policy': {
    description:
      'The limit per API key (or per address without one): `q` requests per `w` seconds (IETF draft-ietf-httpapi-ratelimit-headers-08), on every /v1 answer while RATE_LIMIT_PER_SECOND is above 0',
    schema: { type: 'string' },
    example: '"1000-in-1sec"; q=1000; w=1; pk=:ZDY0YjI1YTQ5NDY0:',
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1, maximum: 60 },
    example: 1,
  },
  'WWW-Authenticate': {
    description: 'The authentication scheme to use',
    schema: { type: 'string' },
    example: 'Bearer realm="engagement-score"',
  },
  ETag: {
    description: 'The draft’s revision: send it back in `If-Match` to refuse overwriting someone else’s change (412)',
    schema: { type: 'string', pattern: '^"\\d{1,9}"$' },
    example: '"3"',
  },
  [TOKEN_HEADER]: {
    description: 'Where this write stands in the scoring log: pass it as `consistency=` to a read to see it scored',
    schema: { type: 'string', minLength: 1, maxLength: 40 },
  },
};

/** Operations whose successful answers carry a header of their own. */
const successHeaders: Record<string, string[]> = {
  createProfile: ['ETag'],
  getProfile: ['ETag'],
  updateProfile: ['ETag'],
  restoreProfileVersion: ['ETag'],
  upsertContact: [TOKEN_HEADER],
  upsertContacts: [TOKEN_HEADER],
  recordInteractions: [TOKEN_HEADER],
};

const headerRefs = (names: string[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/** Who may call an operation, in words (Swagger UI shows descriptions, not extensions). */
function roleSentence(route: RouteDefinition): string {
  if (route.role === 'public') return 'No API key needed.';
  const roles = { reader: 'reader, writer or admin', writer: 'writer or admin', admin: 'admin' }[route.role];
  const automation = route.role === 'reader' || route.automation === true ? ' Automation keys may call it.' : '';
  return `Role: ${roles}.${automation}`;
}

const tagDescriptions: Record<string, string> = {
  Operations: 'Health, readiness and the scoring pipeline’s status',
  Access: 'API keys and who the caller is',
  Contacts: 'Contacts as the CRM knows them, with their scores',
  Interactions: 'What happened with a contact: recorded in batches, shown as a timeline',
  Profiles: 'Score profiles: drafts, validation, previews, versions and publishing',
  Jobs: 'Background jobs (publishes, impact reports) and their progress',
  Scores: 'A contact’s score in a profile, explained, over time, and adjusted by hand',
  Subscriptions: 'Webhooks on threshold crossings, band changes and segment entries and exits, with their delivery log',
  Segments: 'Saved contact filters that stay current (smart lists), their members now, and who enters and leaves them',
  Relationships: 'Who knows a contact or an account best, team members and the network review',
};

/** Real problem answers, as the service words them. */
function problemExample(code: number, route: RouteDefinition, rateLimitPerSecond: number): unknown {
  const problemOf = (title: string, detail: string) => ({
    type: `https://engagement-score.dev/problems/${code}`,
    title,
    status: code,
    detail,
  });
  switch (code) {
    case 401:
      return problemOf('Unauthorized', 'The API key is unknown or has been revoked.');
    case 403:
      return problemOf('Forbidden', `This operation needs the ${String(route.role)} role; the API key used has the reader role.`);
    case 429:
      return problemOf('Too Many Requests', `More than ${rateLimitPerSecond} requests per second with this API key; retry after a second.`);
    case 431:
      return problemOf('Request Header Fields Too Large', 'The request line and headers are larger than 16 KB.');
    case 503:
      return problemOf(
        'Service Unavailable',
        'The database is unavailable right now; nothing was changed by this request. Retry in a few seconds.',
      );
    default:
      return undefined;
  }
}

export type OpenApiOptions = {
  version: string;
  /** PUBLIC_URL: where clients reach the service. Without it the document names its own server (`/`). */
  serverUrl?: string;
  /** RATE_LIMIT_PER_SECOND: 0 turns rate limiting off (no 429, no RateLimit headers). */
  rateLimitPerSecond: number;
};

export function buildOpenApi(routes: RouteDefinition[], info: OpenApiOptions): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const problemRef = convert(problemSchema, 'output', components, 'Problem');
  const recorded = responseExamples();
  const rateLimit = info.rateLimitPerSecond;
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const limited = rateLimit > 0 && path.startsWith('/v1/');
    const common = ['X-Request-Id', ...(limited ? ['RateLimit', 'RateLimit-Policy'] : [])];
    const responses: Record<string, unknown> = {};
    const status = String(route.status ?? (route.response ? 200 : 204));
    const answer = recorded[route.operationId];
    responses[status] = {
      description: route.responseDescription ?? 'Success',
      headers: headerRefs([...common, ...(successHeaders[route.operationId] ?? [])]),
      ...(route.response
        ? {
            content: responseContent(
              route.response,
              components,
              `${pascal(route.operationId)}Response`,
              answer ? { summary: `A real answer (${answer.status})`, value: answer.body } : undefined,
            ),
          }
        : {}),
    };
    const errorStatuses = new Set<number>([...(route.errors ?? []), 431]);
    if (route.role !== 'public') [401, 503].forEach((code) => errorStatuses.add(code));
    // Every key may read: only operations that need more than reading refuse a key's role.
    if (route.role === 'writer' || route.role === 'admin') errorStatuses.add(403);
    if (limited) errorStatuses.add(429);
    if (route.params || route.query || route.body) errorStatuses.add(400);
    if (route.body) [413, 415].forEach((code) => errorStatuses.add(code));
    for (const code of [...errorStatuses].sort()) {
      const example = problemExample(code, route, rateLimit);
      const extra = code === 429 || code === 503 ? ['Retry-After'] : code === 401 ? ['WWW-Authenticate'] : [];
      responses[String(code)] = {
        description: errorDescriptions[code] ?? 'Error',
        headers: headerRefs([...common, ...extra]),
        content: {
          'application/problem+json': {
            schema: problemRef,
            ...(example ? { examples: examplesOf([{ summary: 'As the service answers it', value: example }]) } : {}),
          },
        },
      };
    }
    const bodyExamples = requestExamples[route.operationId];
    const description = [route.description, roleSentence(route)].filter(Boolean).join('\n\n');
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      description,
      tags: [route.tag],
      ...(route.role === 'public'
        ? { security: [] }
        : { 'x-required-role': route.role, ...(route.automation ? { 'x-automation': true } : {}) }),
      parameters: [...parameters(route, path, 'path', components), ...parameters(route, path, 'query', components)],
      ...(route.body
        ? {
            requestBody: {
              required: !route.body.safeParse(undefined).success,
              content: {
                'application/json': {
                  schema: convert(route.body, 'input', components, `${pascal(route.operationId)}Body`),
                  ...(bodyExamples ? { examples: examplesOf(bodyExamples) } : {}),
                },
              },
            },
          }
        : {}),
      responses,
    };
  }
  const tags = [...new Set(routes.map((route) => route.tag))].map((name) => ({
    name,
    ...(tagDescriptions[name] ? { description: tagDescriptions[name] } : {}),
  }));
  const document = {
    openapi: '3.1.0',
    info: {
      title: 'Engagement Score API',
      version: info.version,
      description:
        'Score every contact from its interactions, explain the scores, and get told when they cross a threshold.\n\n' +
        'Send an API key as `Authorization: Bearer <key>`. Each operation says which roles may call it. ' +
        'Errors are `application/problem+json` (RFC 9457). Every answer carries `X-Request-Id`' +
        (rateLimit > 0 ? `; /v1 answers carry the \`RateLimit\` headers (at most ${rateLimit} requests per second per API key).` : '.'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: info.serverUrl
      ? [{ url: info.serverUrl.replace(/\/+$/, ''), description: 'This service (PUBLIC_URL)' }]
      : [{ url: '/', description: 'The server this document was fetched from' }],
    security: [{ bearer: [] }],
    tags,
    paths,
    components: {
      schemas: components,
      headers: Object.fromEntries(Object.entries(headers).filter(([name]) => rateLimit > 0 || !name.startsWith('RateLimit'))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' } },
    },
  };
  // zod names shared schemas under $defs; OpenAPI keeps them under components.
  return JSON.parse(JSON.stringify(document).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
}
