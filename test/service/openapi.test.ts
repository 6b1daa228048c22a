import { execFile } from 'node:child_process';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../service/config';
import { createApp } from '../../service/http/app';
import { buildOpenApi, type OpenApiOptions } from '../../service/http/openapi';
import type { RouteDefinition } from '../../service/http/route';
import { ScoringEngine } from '../../service/scoring/engine';
import { createPool } from '../../service/store/db';
import { ManualClock } from '../helpers/clock';

/** /openapi.json as the service builds it from its real route registry (no database needed to build it). */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type LintProblem = { severity: string; ruleId: string; message: string; pointer: string };

const db = createPool('postgres://nobody@127.0.0.1:9/none', 1);
const { routes } = createApp({
  db,
  clock: new ManualClock(),
  logger: pino({ level: 'silent' }),
  config: { ...loadConfig({}), rateLimitPerSecond: 0 },
  engine: new ScoringEngine(),
  progress: { waitFor: () => Promise.resolve() },
});
afterAll(() => db.end());

const build = (options: Partial<OpenApiOptions> = {}): Json =>
  buildOpenApi(routes.routes, { version: '0.1.0', rateLimitPerSecond: 1000, ...options });

/** Redocly's `recommended` ruleset, run by test/helpers/redocly-lint.mjs (openapi-core is an ES module). */
function lint(document: unknown): Promise<LintProblem[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(__dirname, '../helpers/redocly-lint.mjs')],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as LintProblem[])),
    );
    child.stdin!.end(JSON.stringify(document));
  });
}

const readable = (problems: LintProblem[]) =>
  problems.map((problem) => `${problem.severity} ${problem.ruleId} at ${problem.pointer}: ${problem.message}`).join('\n');

type Operation = { path: string; method: string; operation: Json };
function operations(document: Json): Operation[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, operation]) => ({ path, method, operation: operation as Json })),
  );
}

/** Every schema object in the document, with where it is. */
function schemas(value: unknown, at: string, found: Array<{ at: string; schema: Json }> = []) {
  if (Array.isArray(value)) value.forEach((item, index) => schemas(item, `${at}/${index}`, found));
  else if (value !== null && typeof value === 'object') {
    const object = value as Json;
    if (typeof object.type === 'string' || Array.isArray(object.type)) found.push({ at, schema: object });
    for (const [key, item] of Object.entries(object)) if (key !== 'example' && key !== 'examples') schemas(item, `${at}/${key}`, found);
  }
  return found;
}

describe('/openapi.json', () => {
  it('passes Redocly’s recommended rules with no error and no warning (rate limiting on or off, with or without PUBLIC_URL)', async () => {
    for (const options of [{}, { rateLimitPerSecond: 0 }, { serverUrl: 'https://scores.northwind.dev/' }]) {
      const problems = await lint(build(options));
      if (problems.length > 0)
        throw new Error(`Redocly found ${problems.length} problem(s) with ${JSON.stringify(options)}:\n${readable(problems)}`);
    }
  });

  it('is linted for real: a document with a flaw gets the flaw reported', async () => {
    const { servers: _servers, ...flawed } = build();
    expect((await lint(flawed)).map((problem) => problem.ruleId)).toContain('no-empty-servers');
  });

  it('names every schema and gives every bound its true value', () => {
    const document = build();
    const text = JSON.stringify(document);
    expect(text).not.toMatch(/9007199254740991|__schema\d/);
    expect(text).not.toContain('#/$defs/');
    const wrong = schemas(document, '#').flatMap(({ at, schema }) => {
      const problems: string[] = [];
      if (schema.type === 'integer' && (schema.minimum === undefined || schema.maximum === undefined))
        problems.push(`${at}: an integer without a minimum and a maximum`);
      if (schema.format === 'date-time' && schema.pattern !== undefined) problems.push(`${at}: a date-time with a pattern`);
      if (/\/(version|count|contacts|total|done|attempts|limited)$/.test(at) && schema.type === 'integer' && !(schema.minimum >= 0))
        problems.push(`${at}: a version or a count that may be negative`);
      return problems;
    });
    expect(wrong).toEqual([]);
    for (const schema of Object.values(document.components.schemas as Json)) expect(schema).not.toHaveProperty('id');
  });

  it('describes every parameter and says in each operation who may call it', () => {
    const document = build();
    const byOperationId = new Map(routes.routes.map((route: RouteDefinition) => [route.operationId, route]));
    const undescribed = operations(document).flatMap(({ path, method, operation }) =>
      (operation.parameters as Json[])
        .filter((parameter) => typeof parameter.description !== 'string' || parameter.description.length === 0)
        .map((parameter) => `${method.toUpperCase()} ${path} ${parameter.in} parameter ${parameter.name}`),
    );
    expect(undescribed).toEqual([]);
    for (const { operation } of operations(document)) {
      const route = byOperationId.get(operation.operationId)!;
      const sentence =
        route.role === 'public'
          ? 'No API key needed.'
          : `Role: ${{ reader: 'reader, writer or admin', writer: 'writer or admin', admin: 'admin' }[route.role]}.${
              route.role === 'reader' || route.automation ? ' Automation keys may call it.' : ''
            }`;
      expect(`${operation.operationId}: ${operation.description}`).toMatch(
        new RegExp(`(: |\\n)${sentence.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
      );
    }
    expect(document.paths['/v1/interactions'].post.description).toMatch(/Role: writer or admin\. Automation keys may call it\.$/);
    expect(document.paths['/v1/profiles'].post.description).toMatch(/Role: admin\.$/);
    expect(document.paths['/v1/contacts'].get.description).toMatch(/Role: reader, writer or admin\. Automation keys may call it\.$/);
  });

  it('declares the response headers the service sends', () => {
    const document = build();
    const headerNames = (response: Json) => Object.keys((response.headers as Json | undefined) ?? {});
    for (const { path, operation } of operations(document)) {
      for (const [status, response] of Object.entries(operation.responses as Json)) {
        const names = headerNames(response as Json);
        expect(names).toContain('X-Request-Id');
        if (path.startsWith('/v1/')) expect(names).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
        if (status === '429' || status === '503') expect(names).toContain('Retry-After');
        if (status === '401') expect(names).toContain('WWW-Authenticate');
      }
      if (path.startsWith('/v1/')) expect(operation.responses).toHaveProperty('429');
    }
    expect(headerNames(document.paths['/v1/profiles/{id}'].get.responses['200'])).toContain('ETag');
    expect(headerNames(document.paths['/v1/profiles'].post.responses['201'])).toContain('ETag');
    expect(headerNames(document.paths['/v1/interactions'].post.responses['200'])).toContain('Consistency-Token');
    expect(document.components.headers['Retry-After'].schema).toEqual({ type: 'integer', minimum: 1, maximum: 60 });
    // Without rate limiting there is no 429 and no RateLimit header.
    const unlimited = JSON.stringify(build({ rateLimitPerSecond: 0 }).paths);
    expect(unlimited).not.toContain('"429"');
    expect(unlimited).not.toContain('RateLimit');
  });

  it('names PUBLIC_URL as its server, or its own server without one', () => {
    expect(build({ serverUrl: 'https://scores.northwind.dev/' }).servers).toEqual([
      { url: 'https://scores.northwind.dev', description: 'This service (PUBLIC_URL)' },
    ]);
    expect(build().servers).toEqual([{ url: '/', description: 'The server this document was fetched from' }]);
  });
});
