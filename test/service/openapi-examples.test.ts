import { writeFileSync } from 'node:fs';
import type { z } from 'zod/v4';
import { EXAMPLE_IDS, RESPONSE_EXAMPLES_FILE, requestExamples, responseExamples } from '../../service/http/examples';
import type { RouteDefinition } from '../../service/http/route';
import { problemSchema } from '../../service/http/schemas';
import { ManualClock } from '../helpers/clock';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type TestService } from '../helpers/service';

/**
 * The examples of /openapi.json are real: every request example is sent to a running service (real
 * PostgreSQL) and must be accepted, and every answer shown is one the service gave. The examples' ids
 * stand for the ones this test creates. UPDATE_EXAMPLES=1 records the answers into
 * service/http/openapi-examples.json, with the examples' ids in place of the ones created here.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let service: TestService;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let document: Json;
/** Example id (or URL) → the real one this test created. */
const real = new Map<string, string>();
const answers: Record<string, { status: number; body: unknown }> = {};
const sent = new Set<string>();
const failures: string[] = [];

beforeAll(async () => {
  // After the examples' interactions (2026-11-23..26): an occurredAt in the future is refused.
  service = await startTestService({ clock: new ManualClock('2026-11-27T12:00:00Z') });
  receiver = await startReceiver();
  real.set(EXAMPLE_IDS.webhookUrl, receiver.url);
  document = (await service.http.get('/openapi.json')).body as Json;
});
afterAll(async () => {
  await receiver.close();
  await service.close();
});

/** Replaces every example id in a value with the real one (or back, with `back`). */
function translate<T>(value: T, back = false): T {
  if (value === undefined) return value;
  let text = JSON.stringify(value);
  for (const [example, actual] of real) text = back ? text.replaceAll(actual, example) : text.replaceAll(example, actual);
  return JSON.parse(text) as T;
}

function operation(operationId: string): { path: string; method: string; operation: Json } {
  for (const [path, item] of Object.entries(document.paths as Json))
    for (const [method, op] of Object.entries(item as Json))
      if ((op as Json).operationId === operationId) return { path, method, operation: op as Json };
  throw new Error(`No operation ${operationId} in /openapi.json`);
}

const route = (operationId: string): RouteDefinition => service.routes.routes.find((item) => item.operationId === operationId)!;

/**
 * Calls an operation as Swagger UI would with the document's examples: its path and query parameter
 * examples, and its request example number `example` (or a body given here), with ids made real.
 */
async function call(operationId: string, options: { example?: number; params?: Record<string, string> } = {}): Promise<Json> {
  const { path, method, operation: op } = operation(operationId);
  const parameters = (op.parameters as Json[]) ?? [];
  const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = options.params?.[name] ?? translate(parameters.find((parameter) => parameter.name === name)?.example);
    if (value === undefined) throw new Error(`${operationId}: no example for the path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const query = parameters
    .filter((parameter) => parameter.in === 'query' && parameter.example !== undefined)
    .map((parameter) => `${parameter.name}=${encodeURIComponent(String(translate(parameter.example)))}`);
  const target = query.length > 0 ? `${url}?${query.join('&')}` : url;
  const examples = op.requestBody?.content?.['application/json']?.examples as Record<string, { value: unknown }> | undefined;
  const index = options.example ?? 0;
  const body = examples ? translate(Object.values(examples)[index]?.value) : undefined;
  if (examples) sent.add(`${operationId}#${index}`);
  const agent = service.admin;
  const response =
    method === 'get'
      ? await agent.get(target)
      : method === 'delete'
        ? await agent.delete(target)
        : method === 'put'
          ? await agent.put(target, body)
          : await agent.post(target, body);
  if (response.status < 200 || response.status >= 300) {
    failures.push(
      `${operationId} (example ${index}): ${method.toUpperCase()} ${target} answered ${response.status} ${JSON.stringify(response.body)}`,
    );
    return {};
  }
  const schema = route(operationId).response;
  if (schema && response.headers['content-type']?.startsWith('application/json')) {
    const parsed = schema.safeParse(response.body);
    if (!parsed.success)
      failures.push(`${operationId}: the answer does not match its response schema: ${JSON.stringify(parsed.error.issues)}`);
    answers[operationId] ??= { status: response.status, body: response.body };
  }
  return response.body as Json;
}

it('accepts every request example, and answers what the response schemas say', async () => {
  const key = await call('createKey');
  real.set(EXAMPLE_IDS.key, key.id as string);
  await call('getMe');
  await call('listKeys');

  const profileIds = [EXAMPLE_IDS.profile, EXAMPLE_IDS.relationshipProfile, EXAMPLE_IDS.manualProfile];
  for (const [index, exampleId] of profileIds.entries())
    real.set(exampleId, (await call('createProfile', { example: index })).id as string);
  await call('validateProfile');
  await call('getProfile');
  await call('updateProfile');
  await call('listProfiles');
  const published = await call('publishProfile');
  real.set(EXAMPLE_IDS.job, (published.job as Json).id as string);
  for (const exampleId of profileIds.slice(1)) await call('publishProfile', { params: { id: real.get(exampleId)! } });
  await service.runJobs();
  await call('getJob');

  await call('upsertMember');
  await call('getMember');
  await call('listMembers');
  await call('upsertContact');
  await call('upsertContacts');
  await call('recordInteractions');
  await call('getContact');
  await call('listContacts');
  await call('listContactInteractions');

  await call('previewDocument');
  await call('previewProfile');
  await call('getScore');
  await call('getScoreHistory');
  await call('adjustScore');
  await call('listProfileVersions');
  await call('restoreProfileVersion');
  await call('profileImpact');
  await service.runJobs();

  const subscription = await call('createSubscription');
  real.set(EXAMPLE_IDS.subscription, subscription.id as string);
  await call('listSubscriptions');
  await call('getSubscription');
  const tested = await call('testSubscription');
  real.set(EXAMPLE_IDS.delivery, (tested.delivery as Json).id as string);
  await call('listDeliveries');
  await call('redeliverDelivery');

  const segment = await call('createSegment');
  real.set(EXAMPLE_IDS.segment, segment.id as string);
  await call('createSubscription', { example: 1 });
  await call('listSegments');
  await call('getSegment');
  await call('listSegmentContacts');
  await call('replaceSegment');

  await call('getContactRelationships');
  await call('getAccount');
  await call('getAccountRelationships');
  await call('getInsights');
  await call('getScoringStatus');
  await call('health');
  await call('ready');

  for (const operationId of ['deleteSubscription', 'deleteSegment', 'revokeKey', 'deleteMember', 'eraseContact', 'archiveProfile'])
    await call(operationId);

  expect(failures).toEqual([]);
  const examples = Object.entries(requestExamples).flatMap(([operationId, list]) => list.map((_item, index) => `${operationId}#${index}`));
  expect(examples.filter((example) => !sent.has(example))).toEqual([]);

  if (process.env.UPDATE_EXAMPLES) {
    const recorded = Object.fromEntries(Object.entries(answers).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(RESPONSE_EXAMPLES_FILE, `${JSON.stringify(translate(recorded, true), null, 2)}\n`);
  }
});

it('shows real answers, each valid under its own response schema and status', () => {
  const recorded = responseExamples();
  expect(Object.keys(recorded).length).toBeGreaterThan(30);
  const wrong: string[] = [];
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const definition = route((op as Json).operationId as string);
      for (const [status, response] of Object.entries((op as Json).responses as Json)) {
        for (const [mediaType, content] of Object.entries(((response as Json).content as Json | undefined) ?? {})) {
          const schema: z.ZodType | undefined = mediaType === 'application/problem+json' ? problemSchema : definition.response;
          for (const [name, example] of Object.entries(((content as Json).examples as Json | undefined) ?? {})) {
            const parsed = schema?.safeParse((example as Json).value);
            if (!parsed?.success)
              wrong.push(`${method.toUpperCase()} ${path} ${status} ${mediaType} example ${name}: ${JSON.stringify(parsed?.error.issues)}`);
          }
        }
      }
    }
  }
  expect(wrong).toEqual([]);
  for (const [operationId, answer] of Object.entries(recorded)) {
    const { operation: op } = operation(operationId);
    expect(op.responses[String(route(operationId).status ?? 200)].content['application/json'].examples.default.value).toEqual(answer.body);
  }
});
