import fc from 'fast-check';
import { exampleProfile, publishProfile } from '../helpers/profiles';
import { startTestService, type TestService } from '../helpers/service';

/**
 * Every endpoint, driven by values generated from its own OpenAPI schemas (mostly valid, with hostile
 * strings, numbers and shapes mixed in, and sometimes anything at all): never a 5xx, every error is
 * problem+json, and a refused request changes nothing in the database.
 */

type JsonSchema = Record<string, unknown> & {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  maximum?: number;
  additionalProperties?: JsonSchema | boolean;
};
type Operation = {
  operationId: string;
  method: string;
  path: string;
  parameters: { name: string; in: 'path' | 'query'; required: boolean; schema: JsonSchema }[];
  body?: JsonSchema;
};

const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '😀',
  '\u202egnp.exe',
  '__proto__',
  'constructor',
  'toString',
  '../../etc/passwd',
  '%00',
  "'; DROP TABLE contacts; --",
  'x'.repeat(5000),
  '1e309',
  'NaN',
  '-0',
  '2026-13-45T99:99:99Z',
  '0000-01-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '1969-12-31T23:59:59Z',
  'bmljZQ',
  'eyJzb3J0Ijoic2NvcmUiLCJ0IjoxZTMwMCwiaWQiOiJ4In0',
  'eyJhdCI6Im5vdCBhIGRhdGUiLCJzZXEiOjF9',
];

const hostileNumbers = [0, -1, 1e308, -1e308, 2 ** 53, 2 ** 63, 0.1, -0.000001, 1e-320, 65536, 1001, 10_001];

function deeplyNested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++) value = level % 2 ? [value] : { nested: value };
  return value;
}

const anything = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      deeplyNested(40),
      deeplyNested(2000),
      { constructor: null },
      { constructor: 'Bob', __proto__x: 1 },
      JSON.parse('{"__proto__": {"polluted": true}}'),
    ),
  },
);

describe('every endpoint under generated input', () => {
  let service: TestService;
  let document: {
    paths: Record<
      string,
      Record<string, { parameters?: Operation['parameters']; requestBody?: { content: { 'application/json': { schema: JsonSchema } } } }>
    >;
    components: { schemas: Record<string, JsonSchema> };
  };
  const known: Record<string, string[]> = {};
  /** Realistic bodies per operation, which the generator also mutates. */
  const seeds: Record<string, unknown[]> = {};

  beforeAll(async () => {
    service = await startTestService();
    const profileId = await publishProfile(service, exampleProfile('engagement-highlevel'));
    const relationshipId = await publishProfile(service, exampleProfile('relationship-strength'));
    await service.admin.put('/v1/contacts/ann', { name: 'Ann', accountId: 'acme', tags: ['vip'], attributes: { plan: 'pro' } }).expect(201);
    await service.admin
      .post('/v1/interactions', {
        interactions: [
          { id: 'i1', contactId: 'ann', type: 'meeting', actorId: 'rep-1' },
          { id: 'i2', contactId: 'bob', type: 'email_open' },
        ],
      })
      .expect(200);
    await service.admin.put('/v1/members/rep-1', { name: 'Rep One' }).expect(201);
    const subscription = await service.admin
      .post('/v1/subscriptions', { profileId, event: 'score.dropped_below', threshold: 40, url: 'http://127.0.0.1:9/hook' })
      .expect(201);
    const key = await service.admin.post('/v1/keys', { role: 'reader' }).expect(201);
    const job = (await service.admin.get(`/v1/profiles/${profileId}`)).body;
    known.id = [profileId, relationshipId, subscription.body.id as string, key.body.id as string, '00000000-0000-0000-0000-000000000000'];
    known.contactId = ['ann', 'bob', 'nobody'];
    known.accountId = ['acme'];
    known.actorId = ['rep-1'];
    known.profileId = [profileId, relationshipId];
    void job;
    const cursors = await Promise.all(
      [
        '/v1/contacts?limit=1',
        '/v1/contacts?limit=1&sort=-lastInteractionAt',
        `/v1/contacts?limit=1&profileId=${profileId}`,
        '/v1/members?limit=1',
      ].map(async (path) => (await service.admin.get(path)).body.nextCursor as string | null),
    );
    known.cursor = cursors.filter((cursor): cursor is string => typeof cursor === 'string');
    known.tag = ['vip', 'none'];
    known.band = ((exampleProfile('engagement-highlevel').bands ?? []) as { name: string }[]).map((band) => band.name);
    const profiles = [
      exampleProfile('engagement-highlevel'),
      exampleProfile('relationship-strength'),
      exampleProfile('likelihood-to-renew'),
    ];
    seeds.createProfile = profiles;
    seeds.updateProfile = profiles;
    seeds.previewProfile = [
      { contactIds: ['ann', 'bob'] },
      { interactions: [{ contactId: 'zed', type: 'meeting', occurredAt: '2026-05-30T10:00:00Z' }] },
    ];
    seeds.publishProfile = [{ notify: true }, {}];
    seeds.recordInteractions = [
      {
        interactions: [
          { id: 'n1', contactId: 'ann', type: 'meeting', actorId: 'rep-1', properties: { minutes: 30 } },
          { contactId: 'cy', type: 'email_open', occurredAt: '2026-05-01T00:00:00Z' },
        ],
      },
    ];
    seeds.upsertContact = [
      {
        name: 'Ann B',
        email: 'ann@example.com',
        tags: ['vip'],
        attributes: { dndAll: true, plan: 'pro' },
        accountId: 'acme',
        ownerId: 'rep-1',
      },
    ];
    seeds.upsertContacts = [
      {
        contacts: [
          { id: 'd1', name: 'D', attributes: { constructor: 'x' } },
          { id: 'd2', tags: [] },
        ],
      },
    ];
    seeds.createSubscription = [
      { profileId, event: 'score.rose_above', threshold: 50, url: 'http://127.0.0.1:9/x', tags: ['vip'] },
      { profileId: relationshipId, event: 'band.changed', url: 'http://127.0.0.1:9/y' },
    ];
    seeds.adjustScore = [
      { delta: 5, reason: 'met at a fair' },
      { set: 42, reason: 'manual' },
    ];
    seeds.upsertMember = [{ name: 'Rep', email: 'rep@example.com' }];
    seeds.createKey = [{ role: 'writer', name: 'etl' }];
    document = (await service.http.get('/openapi.json')).body;
  });
  afterAll(() => service.close());

  function resolve(schema: JsonSchema): JsonSchema {
    if (!schema.$ref) return schema;
    return resolve(document.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
  }

  /** Values the schema accepts (as far as its JSON Schema says), with the ids the test created mixed in. */
  function valid(schema: JsonSchema, name: string | undefined, depth: number): fc.Arbitrary<unknown> {
    const s = resolve(schema);
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives) return fc.oneof(...alternatives.map((alternative) => valid(alternative, name, depth)));
    if (s.enum) return fc.constantFrom(...s.enum);
    if ('const' in s) return fc.constant(s.const);
    const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
    if (types.length > 1) return fc.oneof(...types.map((type) => valid({ ...s, type }, name, depth)));
    switch (types[0]) {
      case 'object': {
        if (depth > 5) return fc.constant({});
        const properties = Object.fromEntries(
          Object.entries(s.properties ?? {}).map(([key, value]) => [key, valid(value, key, depth + 1)]),
        );
        if (Object.keys(properties).length === 0)
          return fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
        return fc.record(properties, { requiredKeys: (s.required ?? []).filter((key) => key in properties) });
      }
      case 'array':
        return fc.array(s.items ? valid(s.items, name, depth + 1) : fc.jsonValue({ maxDepth: 2 }), {
          minLength: Number(s.minItems ?? 0),
          maxLength: Math.min(3, Number(s.maxItems ?? 3)),
        });
      case 'string': {
        const known_ = name && known[name] ? [fc.constantFrom(...known[name])] : [];
        const minLength = Number(s.minLength ?? 0);
        const maxLength = Math.min(Number(s.maxLength ?? 20), 20);
        const formatted =
          s.format === 'date-time'
            ? fc.date({ min: new Date('2000-01-01'), max: new Date('2026-06-01'), noInvalidDate: true }).map((date) => date.toISOString())
            : s.format === 'uuid'
              ? fc.uuid({ version: 4 })
              : s.format === 'email'
                ? fc.constantFrom('ann@example.com', 'x.y@test.org')
                : typeof s.pattern === 'string'
                  ? fc.stringMatching(new RegExp(s.pattern))
                  : fc.string({ minLength: Math.min(minLength, maxLength), maxLength });
        return known_.length > 0 ? fc.oneof({ weight: 3, arbitrary: known_[0] }, { weight: 1, arbitrary: formatted }) : formatted;
      }
      case 'integer':
        return fc.integer({ min: Math.max(-1e6, Number(s.minimum ?? -1e6)), max: Math.min(1e6, Number(s.maximum ?? 1e6)) });
      case 'number':
        return fc.double({
          min: Math.max(-1e6, Number(s.minimum ?? -1e6)),
          max: Math.min(1e6, Number(s.maximum ?? 1e6)),
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  const strange = fc.oneof(
    fc.constantFrom(...hostileStrings),
    fc.constantFrom(...hostileNumbers),
    fc.constant(null),
    fc.constant([]),
    anything,
  );

  /** The value with one place in it (the root, a property, an item) replaced by something hostile. */
  function mutateOnePlace(value: unknown, choice: number, replacement: unknown): unknown {
    const places: { parent: Record<string, unknown> | unknown[] | null; key: string | number }[] = [{ parent: null, key: '' }];
    const stack = [value];
    while (stack.length > 0) {
      const current = stack.pop();
      if (current && typeof current === 'object') {
        for (const [key, child] of Object.entries(current)) {
          places.push({ parent: current as Record<string, unknown>, key: Array.isArray(current) ? Number(key) : key });
          stack.push(child);
        }
      }
    }
    const place = places[choice % places.length];
    if (!place.parent) return replacement;
    (place.parent as Record<string | number, unknown>)[place.key] = replacement;
    return value;
  }

  /** Mostly what the schema accepts, often with one hostile place, sometimes anything at all. */
  function valueOf(schema: JsonSchema, name: string | undefined, seeds: unknown[] = []): fc.Arbitrary<unknown> {
    const base =
      seeds.length > 0
        ? fc.oneof(
            { weight: 2, arbitrary: valid(schema, name, 0) },
            { weight: 3, arbitrary: fc.constantFrom(...seeds).map((seed) => structuredClone(seed)) },
          )
        : valid(schema, name, 0);
    return fc.oneof(
      { weight: 5, arbitrary: base },
      {
        weight: 4,
        arbitrary: fc
          .tuple(base, fc.nat(), strange)
          .map(([value, choice, replacement]) => mutateOnePlace(structuredClone(value), choice, replacement)),
      },
      { weight: 1, arbitrary: strange },
    );
  }

  async function fingerprint(): Promise<string> {
    const tables = [
      'workspaces',
      'api_keys',
      'contacts',
      'interactions',
      'profiles',
      'profile_versions',
      'score_ledger',
      'score_adjustments',
      'scores',
      'jobs',
      'subscriptions',
      'deliveries',
      'members',
    ];
    const { rows } = await service.database.db.query<{ state: string }>(
      `SELECT md5(concat_ws('|', ${tables.map((table) => `(SELECT coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '') FROM ${table} t)`).join(', ')})) AS state`,
    );
    return rows[0].state;
  }

  function operations(): Operation[] {
    // Deletions last, so that what they remove is there for every other operation.
    return Object.entries(document.paths)
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          operationId: (operation as { operationId: string }).operationId,
          method,
          path,
          parameters: operation.parameters ?? [],
          body: operation.requestBody?.content['application/json'].schema,
        })),
      )
      .sort((x, y) => Number(x.method === 'delete') - Number(y.method === 'delete'));
  }

  /** Percent-encodes a path segment, lone surrogates included (as the bytes a sloppy client would send). */
  const encodeSegment = (value: string) =>
    [...value]
      .map((character) =>
        character.isWellFormed()
          ? encodeURIComponent(character)
          : [...Buffer.from([0xed, 0xa0 | ((character.charCodeAt(0) >> 6) & 0x1f), 0x80 | (character.charCodeAt(0) & 0x3f)])]
              .map((byte) => `%${byte.toString(16).toUpperCase()}`)
              .join(''),
      )
      .join('');

  const asQueryValue = (value: unknown): string | string[] =>
    Array.isArray(value)
      ? value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);

  it('answers every generated request with a 2xx or a 4xx problem, and a 4xx stores nothing', async () => {
    const failures: string[] = [];
    const statuses: Record<string, Record<number, number>> = {};
    let requests = 0;
    for (const operation of operations()) {
      const pathParameters = operation.parameters.filter((parameter) => parameter.in === 'path');
      const queryParameters = operation.parameters.filter((parameter) => parameter.in === 'query');
      const request = fc.record({
        path: fc.record(
          Object.fromEntries(
            pathParameters.map((parameter) => [
              parameter.name,
              fc.oneof({ weight: 9, arbitrary: valid(parameter.schema, parameter.name, 0) }, { weight: 1, arbitrary: strange }),
            ]),
          ),
        ),
        query: fc.oneof(
          {
            weight: 3,
            arbitrary: fc.record(
              Object.fromEntries(queryParameters.map((parameter) => [parameter.name, valid(parameter.schema, parameter.name, 0)])),
              { requiredKeys: [] },
            ),
          },
          {
            weight: 1,
            arbitrary: fc.record(
              Object.fromEntries(queryParameters.map((parameter) => [parameter.name, valueOf(parameter.schema, parameter.name)])),
              { requiredKeys: [] },
            ),
          },
        ),
        extraQuery: fc.option(
          fc.dictionary(fc.constantFrom('unknown', 'limit', 'cursor', 'profileId'), fc.constantFrom(...hostileStrings), { maxKeys: 2 }),
          { freq: 5 },
        ),
        body: operation.body ? valueOf(operation.body, undefined, seeds[operation.operationId] ?? []) : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ path, query, extraQuery, body }) => {
          const url = operation.path.replace(/\{(\w+)\}/g, (_all, name: string) =>
            encodeSegment(typeof path[name] === 'string' ? path[name] : JSON.stringify(path[name])),
          );
          const search = new URLSearchParams();
          for (const [name, value] of Object.entries({ ...query, ...(extraQuery ?? {}) }))
            for (const item of [asQueryValue(value)].flat()) search.append(name, item);
          const before = operation.method === 'get' ? '' : await fingerprint();
          const target = `${url}${search.size > 0 ? `?${search.toString()}` : ''}`;
          const call = service.admin[operation.method as 'get' | 'post' | 'put' | 'delete'](target);
          const response = body === undefined ? await call : await call.send(JSON.stringify(body)).set('Content-Type', 'application/json');
          requests++;
          const key = `${operation.method} ${operation.path}`;
          statuses[key] = { ...statuses[key], [response.status]: (statuses[key]?.[response.status] ?? 0) + 1 };
          const what = `${operation.method.toUpperCase()} ${target.slice(0, 300)} ${JSON.stringify(body)?.slice(0, 300)} → ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
          if (response.status >= 500) failures.push(what);
          // 431 comes from Node's HTTP parser (a URL over 16 KB), before the app; the service's own server answers it as problem+json.
          if (response.status >= 400 && response.status !== 431) {
            if (!/application\/problem\+json/.test(response.headers['content-type'] ?? '')) failures.push(`not problem+json: ${what}`);
            if (operation.method !== 'get' && (await fingerprint()) !== before) failures.push(`refused but changed the database: ${what}`);
          }
          return true;
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 60) },
      );
    }
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify(statuses, null, 1));
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(1000);
  }, 240_000);

  it('refuses bodies that are not JSON, or not UTF-8, with a 400 or 415', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/json; charset=utf-16'),
        async (bytes, type) => {
          const response = await service.admin.post('/v1/interactions').set('Content-Type', type).send(Buffer.from(bytes));
          expect([400, 415]).toContain(response.status);
        },
      ),
      { numRuns: 100 },
    );
  });
});
