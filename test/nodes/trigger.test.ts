import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pointsRule, publishProfile } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';
import { startTestService, type TestService } from '../helpers/service';
import { verifySignature } from '../../nodes/EngagementScoreTrigger/signature';
import { triggerWorkflow, type CredentialData } from './harness';

/**
 * The Engagement Score Trigger against the running service: its webhook methods create, find and
 * delete real subscriptions, and webhook() checks real deliveries the service signed and sent.
 */

let service: TestService;
let server: Server;
let admin: CredentialData;
let profileId: string;
/** Contacts scoring at least 40 in Engagement (its Warm band). */
let warmId: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** Where the subscriptions point: the receiver stands in for n8n's webhook endpoint, to capture deliveries. */
let webhookBaseUrl: string;

beforeAll(async () => {
  service = await startTestService();
  server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  admin = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: await service.key('admin') };
  profileId = await publishProfile(service, {
    name: 'Engagement',
    kind: 'points',
    rules: [pointsRule('Payment', 'payment', 50)],
    range: { min: 0, max: 100 },
    bands: [
      { name: 'Cold', min: 0, max: 40, color: '#d64545' },
      { name: 'Warm', min: 40, max: 100, color: '#e0a800' },
    ],
  });
  warmId = (await service.admin.post('/v1/segments', { name: 'Warm payers', filter: { profileId, minScore: 40 } }).expect(201)).body
    .id as string;
  receiver = await startReceiver();
  webhookBaseUrl = `${new URL(receiver.url).origin}/webhook`;
});

afterAll(async () => {
  await receiver?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await service?.close();
});

const profile = () => ({ __rl: true, mode: 'list', value: profileId });
const segment = (id = warmId) => ({ __rl: true, mode: 'list', value: id });

async function subscription(id: string) {
  return service.admin.get(`/v1/subscriptions/${id}`);
}

describe('webhook methods', () => {
  it('create subscribes the node’s webhook URL and keeps the id and secret in the node’s static data', async () => {
    const trigger = triggerWorkflow(
      { event: 'score.dropped_below', profile: profile(), threshold: 40, tags: 'vip, key account' },
      { webhookBaseUrl },
    );
    const hooks = trigger.hook(admin);
    expect(await hooks.checkExists()).toBe(false);
    expect(await hooks.create()).toBe(true);
    const stored = trigger.staticData()!;
    expect(stored).toEqual({ subscriptionId: expect.any(String), secret: expect.stringMatching(/^whsec_/) });
    const created = await subscription(stored.subscriptionId as string);
    expect(created.body).toMatchObject({
      profileId,
      event: 'score.dropped_below',
      threshold: 40,
      tags: ['vip', 'key account'],
      url: trigger.webhookUrl,
      status: 'active',
      description: 'n8n: VIP going cold / Engagement Score Trigger',
    });
    expect(await hooks.checkExists()).toBe(true);
  });

  it('checkExists is false for a subscription that points elsewhere or no longer fits, and deletes nothing', async () => {
    const trigger = triggerWorkflow({ event: 'score.rose_above', profile: profile(), threshold: 70 }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    const stored = { ...trigger.staticData() };
    const elsewhere = triggerWorkflow(
      { event: 'score.rose_above', profile: profile(), threshold: 70 },
      { webhookBaseUrl, staticData: { 'node:Engagement Score Trigger': { ...stored } } },
    );
    const changed = triggerWorkflow(
      { event: 'score.rose_above', profile: profile(), threshold: 75 },
      { webhookBaseUrl, staticData: { 'node:Engagement Score Trigger': { ...stored } } },
    );
    changed.node.webhookId = trigger.node.webhookId;
    expect(await elsewhere.hook(admin).checkExists()).toBe(false);
    expect(await changed.hook(admin).checkExists()).toBe(false);
    expect((await subscription(stored.subscriptionId as string)).status).toBe(200);
    expect(await trigger.hook(admin).checkExists()).toBe(true);
  });

  it('create replaces the stored subscription that no longer fits, so it stops delivering', async () => {
    const trigger = triggerWorkflow({ event: 'score.crossed', profile: profile(), threshold: 60 }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    const first = trigger.staticData()!.subscriptionId as string;
    trigger.node.parameters.threshold = 65;
    const hooks = trigger.hook(admin);
    expect(await hooks.checkExists()).toBe(false);
    await hooks.create();
    const second = trigger.staticData()!.subscriptionId as string;
    expect(second).not.toBe(first);
    expect((await subscription(first)).status).toBe(404);
    expect((await subscription(second)).body).toMatchObject({ threshold: 65, event: 'score.crossed', tags: null });
    expect(await hooks.checkExists()).toBe(true);
  });

  it('delete removes the subscription; one already gone counts as deleted', async () => {
    const trigger = triggerWorkflow({ event: 'band.changed', profile: profile(), threshold: 40 }, { webhookBaseUrl });
    const hooks = trigger.hook(admin);
    await hooks.create();
    const id = trigger.staticData()!.subscriptionId as string;
    expect((await subscription(id)).body).toMatchObject({ event: 'band.changed', threshold: null });
    expect(await hooks.delete()).toBe(true);
    expect((await subscription(id)).status).toBe(404);
    expect(trigger.staticData()).toEqual({});
    expect(await hooks.checkExists()).toBe(false);

    const stale = triggerWorkflow(
      { event: 'band.changed', profile: profile() },
      { webhookBaseUrl, staticData: { 'node:Engagement Score Trigger': { subscriptionId: id, secret: 'whsec_gone' } } },
    );
    expect(await stale.hook(admin).checkExists()).toBe(false);
    expect(await stale.hook(admin).delete()).toBe(true);
    expect(stale.staticData()).toEqual({});
  });

  it('a segment event subscribes to the segment (no profile, threshold or tags), and fits only while the segment is the same', async () => {
    const trigger = triggerWorkflow({ event: 'segment.entered', segment: segment() }, { webhookBaseUrl });
    const hooks = trigger.hook(admin);
    expect(await hooks.checkExists()).toBe(false);
    await hooks.create();
    const first = trigger.staticData()!.subscriptionId as string;
    expect((await subscription(first)).body).toMatchObject({
      segmentId: warmId,
      profileId: null,
      event: 'segment.entered',
      threshold: null,
      tags: null,
      url: trigger.webhookUrl,
      status: 'active',
    });
    expect(await hooks.checkExists()).toBe(true);
    expect((await service.admin.get(`/v1/segments/${warmId}`)).body.watched).toBe(true);

    // Another segment, or the other direction: the stored subscription no longer fits and is replaced.
    const other = (await service.admin.post('/v1/segments', { name: 'Cold', filter: { profileId, maxScore: 39.99 } }).expect(201)).body
      .id as string;
    trigger.node.parameters.segment = segment(other);
    trigger.node.parameters.event = 'segment.left';
    expect(await trigger.hook(admin).checkExists()).toBe(false);
    await trigger.hook(admin).create();
    const second = trigger.staticData()!.subscriptionId as string;
    expect((await subscription(first)).status).toBe(404);
    expect((await subscription(second)).body).toMatchObject({ segmentId: other, event: 'segment.left' });
    expect(await trigger.hook(admin).checkExists()).toBe(true);
    await trigger.hook(admin).delete();
    expect((await subscription(second)).status).toBe(404);
    expect((await service.admin.get(`/v1/segments/${other}`)).body.watched).toBe(false);
  });

  it('a score event workflow (built before segments) still subscribes to its profile', async () => {
    const trigger = triggerWorkflow({ event: 'band.changed', profile: profile(), tags: 'vip' }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    expect((await subscription(trigger.staticData()!.subscriptionId as string)).body).toMatchObject({
      profileId,
      segmentId: null,
      event: 'band.changed',
      tags: ['vip'],
    });
    expect(await trigger.hook(admin).checkExists()).toBe(true);
    await trigger.hook(admin).delete();
  });

  it('a key without the admin role gets the service’s explanation', async () => {
    const writer = { ...admin, apiKey: await service.key('writer') };
    const trigger = triggerWorkflow({ event: 'score.dropped_below', profile: profile(), threshold: 40 }, { webhookBaseUrl });
    await expect(trigger.hook(writer).create()).rejects.toMatchObject({
      name: 'NodeApiError',
      message: 'This operation needs the admin role; the API key used has the writer role.',
      httpCode: '403',
    });
    expect(trigger.staticData()).toEqual({});
  });
});

describe('Listen for test event (n8n’s manual mode)', () => {
  const listening: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(listening.splice(0).map((listener) => listener.close()));
  });

  it('sends the service’s signed sample (test: true) to the test URL; it runs the workflow once, then the test subscription is gone', async () => {
    const automation = { ...admin, apiKey: await service.key('automation') };
    const trigger = triggerWorkflow({ event: 'score.dropped_below', profile: profile(), threshold: 40, tags: 'vip' });
    const listener = await trigger.listenForTestEvent(automation);
    listening.push(listener);
    const subscriptionId = listener.staticData()!.subscriptionId as string;
    const created = await subscription(subscriptionId);
    expect(created.body).toMatchObject({ url: listener.webhookUrl, description: 'n8n (test): VIP going cold / Engagement Score Trigger' });
    expect(listener.webhookUrl).toContain('/webhook-test/');

    const run = await listener.execution();
    expect(run.data.resultData.error).toBeUndefined();
    const reached = run.data.resultData.runData.Next[0].data!.main[0]!;
    expect(reached).toHaveLength(1);
    expect(reached[0].json).toMatchObject({
      test: true,
      type: 'score.dropped_below',
      threshold: 40,
      direction: 'down',
      cause: 'test',
      profile: { id: profileId, name: 'Engagement' },
      contact: { id: 'sample-contact', tags: ['vip'] },
    });
    expect(reached[0].json.score as number).toBeLessThan(40);
    expect(reached[0].json.previousScore as number).toBeGreaterThanOrEqual(40);
    expect(listener.answers).toEqual([200]);
    // n8n deactivates the test webhook after its execution: delete() removed the test subscription.
    expect((await subscription(subscriptionId)).status).toBe(404);
    expect(listener.executions).toHaveLength(1);
  });

  it('tries again when n8n has not yet stored the secret create() wrote: the early delivery is refused, the next one runs the workflow', async () => {
    const trigger = triggerWorkflow({ event: 'band.changed', profile: profile() });
    const listener = await trigger.listenForTestEvent(admin, { registerStaticDataAfterMs: 600 });
    listening.push(listener);
    const run = await listener.execution();
    expect(run.data.resultData.runData.Next[0].data!.main[0]![0].json).toMatchObject({
      test: true,
      type: 'band.changed',
      band: { name: 'Cold' },
      previousBand: { name: 'Warm' },
    });
    expect(listener.answers.length).toBeGreaterThan(1);
    expect(listener.answers.slice(0, -1).every((status) => status === 401)).toBe(true);
    expect(listener.answers.at(-1)).toBe(200);
    expect(listener.executions).toHaveLength(1);
  });

  it('for a segment event: the service’s signed sample of that segment runs the workflow once', async () => {
    const automation = { ...admin, apiKey: await service.key('automation') };
    const trigger = triggerWorkflow({ event: 'segment.left', segment: segment() });
    const listener = await trigger.listenForTestEvent(automation);
    listening.push(listener);
    const subscriptionId = listener.staticData()!.subscriptionId as string;
    expect((await subscription(subscriptionId)).body).toMatchObject({ segmentId: warmId, event: 'segment.left', url: listener.webhookUrl });
    const run = await listener.execution();
    expect(run.data.resultData.error).toBeUndefined();
    const reached = run.data.resultData.runData.Next[0].data!.main[0]!;
    expect(reached).toHaveLength(1);
    expect(reached[0].json).toMatchObject({
      test: true,
      type: 'segment.left',
      segment: { id: warmId, name: 'Warm payers' },
      contact: { id: 'sample-contact' },
      cause: 'test',
    });
    expect(listener.answers).toEqual([200]);
    expect((await subscription(subscriptionId)).status).toBe(404);
  });

  it('activating the workflow (not a test) sends no test event', async () => {
    const trigger = triggerWorkflow({ event: 'score.rose_above', profile: profile(), threshold: 90 }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    const id = trigger.staticData()!.subscriptionId as string;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const deliveries = await service.admin.get(`/v1/subscriptions/${id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toEqual([]);
    expect(receiver.received.filter((request) => request.path === new URL(trigger.webhookUrl).pathname)).toEqual([]);
  });
});

describe('webhook()', () => {
  let trigger: ReturnType<typeof triggerWorkflow>;
  let delivery: (typeof receiver.received)[number];
  let secret: string;

  beforeAll(async () => {
    trigger = triggerWorkflow({ event: 'score.rose_above', profile: profile(), threshold: 40, tags: 'vip' }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    secret = trigger.staticData()!.secret as string;
    await service.runJobs();
    await service.admin.put('/v1/contacts/ada', { name: 'Ada', tags: ['vip'] }).expect(201);
    await service.admin.post('/v1/interactions', { interactions: [{ id: 'pay-1', contactId: 'ada', type: 'payment' }] }).expect(200);
    await service.dispatcher().drain();
    const found = receiver.received.filter(
      (request) =>
        request.body.type === 'score.rose_above' && request.body.contact && (request.body.contact as { id: string }).id === 'ada',
    );
    expect(found).toHaveLength(1);
    delivery = found[0]!;
    expect(delivery.path).toBe(new URL(trigger.webhookUrl).pathname);
  });

  const sign = (body: string, t: number, key = secret) => `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`;
  const now = () => Math.floor(Date.now() / 1000);

  it('emits a real delivery, verified against its raw body, as one item', async () => {
    const { result, response } = await trigger.receive({ headers: delivery.headers, rawBody: Buffer.from(delivery.rawBody) }, admin);
    expect(response.ended).toBe(false);
    expect(result.workflowData).toEqual([[{ json: delivery.body }]]);
    expect(delivery.body).toMatchObject({
      type: 'score.rose_above',
      threshold: 40,
      score: 50,
      contact: { id: 'ada', name: 'Ada', tags: ['vip'] },
      band: { name: 'Warm' },
    });
  });

  it('answers 401 to a tampered body', async () => {
    const tampered = delivery.rawBody.replace('"score":50', '"score":99');
    expect(tampered).not.toBe(delivery.rawBody);
    const { result, response } = await trigger.receive({ headers: delivery.headers, rawBody: Buffer.from(tampered) }, admin);
    expect(result).toEqual({ noWebhookResponse: true });
    expect(response).toMatchObject({
      statusCode: 401,
      body: { error: 'Invalid signature', reason: 'the signature does not match the body' },
    });
  });

  it('answers 401 to a delivery signed more than 5 minutes ago, though signed with the right secret', async () => {
    const stale = await trigger.receive(
      {
        headers: { ...delivery.headers, 'x-engagement-signature': sign(delivery.rawBody, now() - 301) },
        rawBody: Buffer.from(delivery.rawBody),
      },
      admin,
    );
    const fresh = await trigger.receive(
      {
        headers: { ...delivery.headers, 'x-engagement-signature': sign(delivery.rawBody, now() - 240) },
        rawBody: Buffer.from(delivery.rawBody),
      },
      admin,
    );
    expect(stale.response).toMatchObject({ statusCode: 401, body: { reason: 'the signature is older than 5 minutes' } });
    expect(fresh.result.workflowData).toEqual([[{ json: delivery.body }]]);
  });

  it('answers 401 to another secret’s signature, to a missing one, and when it holds no secret', async () => {
    const rawBody = Buffer.from(delivery.rawBody);
    const otherSecret = await trigger.receive(
      { headers: { ...delivery.headers, 'x-engagement-signature': sign(delivery.rawBody, now(), 'whsec_other') }, rawBody },
      admin,
    );
    const { 'x-engagement-signature': _signature, ...unsigned } = delivery.headers;
    const missing = await trigger.receive({ headers: unsigned, rawBody }, admin);
    const forgotten = triggerWorkflow({ event: 'score.rose_above', profile: profile(), threshold: 40 });
    const noSecret = await forgotten.receive({ headers: delivery.headers, rawBody }, admin);
    expect(
      [otherSecret, missing, noSecret].map(({ response }) => [response.statusCode, (response.body as { reason: string }).reason]),
    ).toEqual([
      [401, 'the signature does not match the body'],
      [401, 'the X-Engagement-Signature header is missing'],
      [401, 'this trigger holds no subscription secret; deactivate and activate the workflow'],
    ]);
  });
});

describe('webhook() for segment events', () => {
  let trigger: ReturnType<typeof triggerWorkflow>;
  let entered: typeof receiver.received;

  beforeAll(async () => {
    trigger = triggerWorkflow({ event: 'segment.entered', segment: segment() }, { webhookBaseUrl });
    await trigger.hook(admin).create();
    await service.runJobs();
    await service.admin.put('/v1/contacts/grace', { name: 'Grace Hopper', tags: ['customer'] }).expect(201);
    await service.admin.put('/v1/contacts/linus', { name: 'Linus' }).expect(201);
    // grace pays (50 points: into the segment); linus only visits (no points: stays out).
    await service.admin
      .post('/v1/interactions', {
        interactions: [
          { id: 'seg-pay-1', contactId: 'grace', type: 'payment' },
          { id: 'seg-visit-1', contactId: 'linus', type: 'visit' },
        ],
      })
      .expect(200);
    await service.dispatcher().drain();
    entered = receiver.received.filter((request) => request.path === new URL(trigger.webhookUrl).pathname);
  });

  it('a contact an interaction moved into the segment arrives as one segment.entered, verified and emitted as one item', async () => {
    expect(entered).toHaveLength(1);
    const delivery = entered[0];
    expect(delivery.body).toMatchObject({
      type: 'segment.entered',
      segment: { id: warmId, name: 'Warm payers' },
      contact: { id: 'grace', name: 'Grace Hopper', tags: ['customer'] },
      profile: { id: profileId, name: 'Engagement' },
      score: 50,
      band: { name: 'Warm' },
      cause: 'interaction',
    });
    expect(delivery.body).not.toHaveProperty('test');
    const { result, response } = await trigger.receive({ headers: delivery.headers, rawBody: Buffer.from(delivery.rawBody) }, admin);
    expect(response.ended).toBe(false);
    expect(result.workflowData).toEqual([[{ json: delivery.body }]]);
  });

  it('nothing arrives for a contact that did not enter', () => {
    expect(entered.filter((request) => (request.body.contact as { id: string }).id === 'linus')).toEqual([]);
  });

  it('the signature check applies unchanged: a tampered segment delivery gets 401', async () => {
    const delivery = entered[0];
    const tampered = delivery.rawBody.replace('"grace"', '"mallory"');
    expect(tampered).not.toBe(delivery.rawBody);
    const { result, response } = await trigger.receive({ headers: delivery.headers, rawBody: Buffer.from(tampered) }, admin);
    expect(result).toEqual({ noWebhookResponse: true });
    expect(response).toMatchObject({ statusCode: 401, body: { reason: 'the signature does not match the body' } });
  });
});

describe('verifySignature', () => {
  const secret = 'whsec_unit';
  const body = Buffer.from('{"id":"e1","score":39.99}');
  const now = 1_800_000_000;
  const v1 = (t: number | string, key = secret) => createHmac('sha256', key).update(`${t}.${body.toString()}`).digest('hex');

  it.each([
    ['a fresh signature', `t=${now},v1=${v1(now)}`, { valid: true }],
    ['one of several v1 values (a rotated secret)', `t=${now},v1=${v1(now, 'whsec_old')},v1=${v1(now)}`, { valid: true }],
    ['one exactly 5 minutes old', `t=${now - 300},v1=${v1(now - 300)}`, { valid: true }],
    [
      'one 5 minutes and a second old',
      `t=${now - 301},v1=${v1(now - 301)}`,
      { valid: false, reason: 'the signature is older than 5 minutes' },
    ],
    [
      'one dated well ahead',
      `t=${now + 301},v1=${v1(now + 301)}`,
      { valid: false, reason: 'the signature is dated more than 5 minutes ahead' },
    ],
    ['one without a timestamp', `v1=${v1(now)}`, { valid: false, reason: 'the signature has no timestamp' }],
    ['one whose timestamp is not a number', `t=soon,v1=${v1('soon')}`, { valid: false, reason: 'the signature has no timestamp' }],
    ['a truncated digest', `t=${now},v1=${v1(now).slice(0, 32)}`, { valid: false, reason: 'the signature does not match the body' }],
    ['a digest that is not hex', `t=${now},v1=not-hex`, { valid: false, reason: 'the signature does not match the body' }],
  ])('%s', (_, header, expected) => {
    expect(verifySignature(header, body, secret, now)).toEqual(expected);
  });
});
