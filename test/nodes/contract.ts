import { parse as parseQuery } from 'node:querystring';
import nock from 'nock';
import pino from 'pino';
import type { Db } from '../../service/store/db';
import { loadConfig } from '../../service/config';
import { createApp } from '../../service/http/app';
import type { RouteDefinition } from '../../service/http/route';
import { problemTitles } from '../../service/http/problem';
import { problemSchema } from '../../service/http/schemas';
import { CrossingDetector } from '../../service/scoring/crossings';
import { ScoringEngine } from '../../service/scoring/engine';
import { ManualClock } from '../helpers/clock';

/**
 * nock answers for the nodes' requests, held to the service's own contract: every request is parsed
 * with the zod schemas of the route it calls (path, query, body — a request the service would refuse
 * fails the test), and every answer a test gives is parsed with the route's response schema (or the
 * problem schema), so the fixtures cannot drift from what the service really sends.
 */

export const BASE_URL = 'http://engagement.test';
export const API_KEY = 'es_test_key';
export const credentials = { baseUrl: `${BASE_URL}/`, apiKey: API_KEY };

// The route registry alone: building the app touches no database.
const { routes } = createApp({
  db: {} as Db,
  clock: new ManualClock(),
  logger: pino({ level: 'silent' }),
  config: loadConfig({}),
  engine: new ScoringEngine(new CrossingDetector()),
  progress: { waitFor: () => Promise.resolve() },
});

export type Received = { method: string; path: string; params: Record<string, string>; query: Record<string, unknown>; body: unknown };

type Answer = [status: number, body?: unknown];

/**
 * Broken contracts found while serving. A request the mock cannot serve is answered 500 (rather than
 * left hanging) and the test fails after it with what was wrong.
 */
const violations: string[] = [];
afterEach(() => {
  const found = violations.splice(0);
  if (found.length > 0) throw new Error(found.join('\n'));
});

function findRoute(method: string, template: string): RouteDefinition {
  const route = routes.routes.find((candidate) => candidate.method === method && candidate.path === template);
  if (!route) throw new Error(`The service has no route ${method.toUpperCase()} ${template}`);
  return route;
}

function templatePattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template.replace(/:(\w+)/g, (_, name: string) => {
    names.push(name);
    return '([^/?]+)';
  });
  return { pattern: new RegExp(`^${source}(?:\\?.*)?$`), names };
}

function mustParse(
  schema: { safeParse(value: unknown): { success: boolean; error?: { issues: unknown[] } } } | undefined,
  value: unknown,
  what: string,
) {
  if (!schema) return;
  const result = schema.safeParse(value);
  if (!result.success)
    throw new Error(`${what} breaks the service's contract: ${JSON.stringify(result.error?.issues)} in ${JSON.stringify(value)}`);
}

/**
 * Serves `METHOD template` (the service's own express path, e.g. `/v1/contacts/:contactId`) until
 * `nock.cleanAll()`. `answer` gets the parsed request; returns the status and body to send.
 */
export function serve(method: 'get' | 'post' | 'put' | 'delete', template: string, answer: (request: Received, index: number) => Answer) {
  const route = findRoute(method, template);
  const { pattern, names } = templatePattern(template);
  const received: Received[] = [];
  const what = `${method.toUpperCase()} ${template}`;

  const serveChecked = (authorization: unknown, uri: string, requestBody: unknown): [number, string, Record<string, string>] => {
    if (authorization !== `Bearer ${API_KEY}`) throw new Error(`${what} was sent without the credential's key: ${String(authorization)}`);
    const match = pattern.exec(uri)!;
    const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
    const query = { ...parseQuery(uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '') } as Record<string, unknown>;
    const body =
      requestBody === '' || requestBody === undefined ? undefined : typeof requestBody === 'string' ? JSON.parse(requestBody) : requestBody;
    mustParse(route.params, params, `${method.toUpperCase()} ${uri}: the path`);
    mustParse(route.query, query, `${method.toUpperCase()} ${uri}: the query`);
    if (route.body) mustParse(route.body, body, `${method.toUpperCase()} ${uri}: the body`);
    const request = { method, path: uri, params, query, body };
    received.push(request);
    const [status, responseBody] = answer(request, received.length - 1);
    if (status < 300) mustParse(route.response, responseBody, `The test's answer to ${what}`);
    else mustParse(problemSchema, responseBody, `The test's problem answer to ${what}`);
    const headers = { 'Content-Type': status < 300 ? 'application/json' : 'application/problem+json' };
    return [status, responseBody === undefined ? '' : JSON.stringify(responseBody), headers];
  };

  nock(BASE_URL)
    .persist()
    .intercept((uri) => pattern.test(uri), method.toUpperCase())
    .reply(function (uri, requestBody) {
      try {
        return serveChecked(this.req.headers.authorization, uri, requestBody);
      } catch (error) {
        violations.push((error as Error).message);
        return [
          500,
          JSON.stringify(problem(500, 'The mock could not serve this request')[1]),
          { 'Content-Type': 'application/problem+json' },
        ];
      }
    });
  return received;
}

/**
 * nock for the calling test file (or describe block): no real network while it runs, and node:http
 * given back untouched afterwards, so that later test files in the same worker are not intercepted.
 */
export function mockTheService(): void {
  beforeAll(() => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
  });
  afterEach(() => nock.cleanAll());
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });
}

/** A problem+json answer as the service writes it. */
export function problem(status: number, detail: string, errors?: Array<{ path: string; message: string }>): Answer {
  return [
    status,
    {
      type: `https://engagement-score.dev/problems/${status}`,
      title: problemTitles[status] ?? 'Error',
      status,
      detail,
      ...(errors ? { errors } : {}),
    },
  ];
}

export const PROFILE_ID = '6f0b7f7e-2a35-4b55-9d1e-6c1f0c6f4a10';
export const OTHER_PROFILE_ID = '0d5c3c8e-91a4-4f4e-8d55-0f1b9a7d3e21';
const AT = '2026-07-01T09:00:00.000Z';

export const band = (name: string) => ({ name, color: name === 'Cold' ? '#d64545' : name === 'Warm' ? '#e0a800' : '#2e9d5b' });

export function scoreAnswer(contactId: string, score: number, bandName = 'Warm') {
  return {
    contactId,
    profileId: PROFILE_ID,
    version: 1,
    score,
    band: band(bandName),
    lastInteractionAt: AT,
    computedAt: AT,
    trend: { delta7d: 5, delta30d: 12.5 },
    next: null,
    explanation: [{ rule: 'Meeting', kind: 'interaction' as const, count: 1, points: score }],
    clamp: null,
    suggestions: [],
  };
}

export function contactAnswer(id: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: null,
    email: null,
    accountId: null,
    ownerId: null,
    tags: [],
    attributes: {},
    createdAt: AT,
    updatedAt: AT,
    lastInteractionAt: null,
    lastInteractionType: null,
    ...extra,
  };
}

export function profileAnswer(
  id: string,
  name: string,
  status: 'draft' | 'published',
  bands: Array<{ name: string; min: number; max: number; color: string }> = [],
) {
  const document = { name, kind: 'points', rules: [], bands, range: { min: 0, max: 100 } };
  return {
    id,
    name,
    kind: 'points' as const,
    status,
    version: status === 'published' ? 1 : 0,
    revision: 1,
    draft: document,
    published: status === 'published' ? document : null,
    publishing: null,
    live: status === 'published' ? { version: 1, publishedAt: AT, publishedBy: 'admin key', contactsScored: 2 } : null,
    createdAt: AT,
    updatedAt: AT,
  };
}
