import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { systemClock } from '../../service/clock';
import { loadConfig } from '../../service/config';
import { createApp } from '../../service/http/app';
import { startHttpServer } from '../../service/http/server';
import { JobWorker } from '../../service/jobs/worker';
import { ScoringWorker } from '../../service/jobs/scoring-worker';
import { DatabaseScoringProgress } from '../../service/app/consistency';
import { CrossingDetector } from '../../service/scoring/crossings';
import { ScoringEngine } from '../../service/scoring/engine';
import { ensureWorkspace, insertApiKey, type Role } from '../../service/store/keys';
import { createTestDatabase } from '../helpers/database';
import { exampleProfile } from '../helpers/profiles';
import { startReceiver } from '../helpers/receiver';

/**
 * The admin console end to end: the console built by its own build script, served by the real
 * service (in this process, on a fresh test database, with a job worker so publish and impact jobs
 * finish), seeded through the public API, driven in Debian's Chromium by playwright-core.
 */

export const root = path.resolve(__dirname, '../..');
export const screenshotDir = path.join(root, '.test-screenshots', 'admin');
export const docsScreenshotDir = path.join(root, 'docs', 'screenshots');
export const updateDocs = process.env.UPDATE_SCREENSHOTS === '1';

/** Builds the console into dist/admin with admin/build.mjs; answers its size report. */
export function buildConsole(): { firstLoadGzip: number; firstLoadBytes: number } {
  const output = execFileSync(process.execPath, [path.join(root, 'admin', 'build.mjs'), '--report'], { cwd: root, encoding: 'utf8' });
  const last = output.trim().split('\n').pop()!;
  return JSON.parse(last) as { firstLoadGzip: number; firstLoadBytes: number };
}

export type ConsoleService = {
  base: string;
  keys: Record<'admin' | 'otherAdmin' | 'writer' | 'reader', string>;
  api(
    method: string,
    route: string,
    body?: unknown,
    key?: string,
    headers?: Record<string, string>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read whatever the API answered
  ): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
};

export async function startConsoleService(): Promise<ConsoleService> {
  const database = await createTestDatabase();
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const config = { ...loadConfig({}), rateLimitPerSecond: 0, runWorkers: false, allowPrivateWebhookTargets: true, webhookTimeoutMs: 3000 };
  const engine = new ScoringEngine(new CrossingDetector());
  // As the service runs: the scoring worker in the background, reads with a token waiting on it.
  const scoring = new ScoringWorker({ db: database.db, clock: systemClock, logger, engine }, { pollMs: 100 });
  await scoring.start();
  const progress = new DatabaseScoringProgress(database.db, logger);
  const { app } = createApp({ db: database.db, clock: systemClock, logger, config, engine, progress });
  // Small batches, so a publish over the seeded contacts takes several progress steps.
  const worker = new JobWorker({ db: database.db, clock: systemClock, logger, engine }, { batchSize: 25, pollMs: 200 });
  await worker.start();
  const server = await startHttpServer(app, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${server.port}`;
  const { id: workspaceId } = await ensureWorkspace(database.db, 'default');
  const key = async (role: Role, name: string) => (await insertApiKey(database.db, { workspaceId, role, name, origin: 'cli' })).key;
  const keys = {
    admin: await key('admin', 'Ada (admin)'),
    otherAdmin: await key('admin', 'Grace (admin)'),
    writer: await key('writer', 'CRM sync (writer)'),
    reader: await key('reader', 'Analyst (reader)'),
  };
  const api: ConsoleService['api'] = async (method, route, body, apiKey = keys.admin, headers = {}) => {
    const response = await fetch(`${base}${route}`, {
      method,
      headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    base,
    keys,
    api,
    async close() {
      await server.close(2000);
      await worker.stop();
      await scoring.stop();
      await progress.close();
      await database.drop();
    },
  };
}

/** A small deterministic random sequence (mulberry32). */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Dennis',
  'Radia',
  'Tim',
  'Hedy',
  'Linus',
  'Katherine',
  'John',
  'Annie',
  'Guido',
  'Sophie',
  'Niklaus',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Ritchie',
  'Perlman',
  'Lee',
  'Lamarr',
  'Torvalds',
  'Johnson',
  'McCarthy',
  'Easley',
  'van Rossum',
  'Wilson',
  'Wirth',
];
const ACCOUNTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];
const TYPES = ['email_open', 'email_open', 'email_click', 'meeting', 'meeting', 'call', 'form_submission', 'payment', 'email'];

export type Seeded = {
  engagementId: string;
  relationshipId: string;
  contacts: number;
  receiverUrl: string;
  failingUrl: string;
  closeReceivers(): Promise<void>;
};

/**
 * A workspace an admin would recognise: 120 contacts in five accounts (some VIP), three named team
 * members, two months of interactions, and the example Engagement and Relationship strength
 * profiles published. Everything through the public API.
 */
export async function seed(service: ConsoleService): Promise<Seeded> {
  const next = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const members = [
    ['rep-1', 'Maya Patel'],
    ['rep-2', 'Leo Brandt'],
    ['rep-3', 'Sofia Reyes'],
  ];
  for (const [actorId, name] of members) await service.api('PUT', `/v1/members/${actorId}`, { name, email: `${actorId}@example.com` });
  const contacts = Array.from({ length: 120 }, (_, index) => ({
    id: `crm-${String(index + 1).padStart(3, '0')}`,
    name: `${FIRST[index % FIRST.length]} ${LAST[(index * 7) % LAST.length]}`,
    email: `contact${index + 1}@example.com`,
    accountId: ACCOUNTS[index % ACCOUNTS.length],
    ownerId: members[index % 3][0],
    tags: index % 7 === 1 ? ['vip', 'customer'] : index % 4 === 0 ? ['customer'] : ['lead'],
    attributes: { plan: index % 3 === 0 ? 'pro' : 'free', dndAll: index % 37 === 5 },
  }));
  const upserted = await service.api('POST', '/v1/contacts/batch?wait=true', { contacts });
  if (upserted.status !== 200) throw new Error(`contacts: ${JSON.stringify(upserted.body)}`);
  const now = Date.now();
  const interactions = [];
  for (const [index, contact] of contacts.entries()) {
    // Some contacts were busy long ago and went quiet, some are busy now.
    const activity = index % 5 === 0 ? 2 : 4 + Math.floor(next() * (index % 4 === 1 ? 30 : 14));
    const recentBias = index % 3 === 0 ? 0.3 : 1;
    for (let k = 0; k < activity; k++) {
      const daysAgo = index % 5 === 0 ? 25 + next() * 30 : next() * 55 * recentBias + (recentBias < 1 ? 20 : 0);
      const type = pick(TYPES);
      interactions.push({
        id: `seed-${contact.id}-${k}`,
        contactId: contact.id,
        type,
        occurredAt: new Date(now - daysAgo * 86_400_000).toISOString(),
        actorId: pick(members)[0],
        direction: type === 'call' ? 'inbound' : 'outbound',
        ...(type === 'payment' ? { properties: { amount: Math.round(next() * 2000) } } : {}),
      });
    }
  }
  const recorded = await service.api('POST', '/v1/interactions?wait=true', { interactions });
  if (recorded.status !== 200) throw new Error(`interactions: ${JSON.stringify(recorded.body)}`);

  const publish = async (document: Record<string, unknown>) => {
    const created = await service.api('POST', '/v1/profiles', document);
    if (created.status !== 201) throw new Error(`profile: ${JSON.stringify(created.body)}`);
    const published = await service.api('POST', `/v1/profiles/${created.body.id}/publish`, {});
    await waitForJob(service, published.body.job.id as string);
    return created.body.id as string;
  };
  const engagementId = await publish(exampleProfile('engagement-highlevel'));
  const relationshipId = await publish(exampleProfile('relationship-strength'));

  // Adjustments with who/when/why, so explanations show them.
  await service.api(
    'POST',
    `/v1/profiles/${engagementId}/scores/crm-002/adjustments`,
    { delta: 8, reason: 'Met at the Lisbon conference' },
    service.keys.writer,
  );

  const receiver = await startReceiver(() => 200);
  const failing = await startReceiver(() => 500);
  const subscribe = async (body: Record<string, unknown>) => {
    const answer = await service.api('POST', '/v1/subscriptions', { profileId: engagementId, ...body });
    if (answer.status !== 201) throw new Error(`subscription: ${JSON.stringify(answer.body)}`);
    return answer.body.id as string;
  };
  const vip = await subscribe({
    event: 'score.dropped_below',
    threshold: 40,
    tags: ['vip'],
    url: receiver.url,
    description: 'VIP going cold → owner',
  });
  await subscribe({ event: 'band.changed', url: failing.url, description: 'Band changes → CRM (receiver is down)' });
  await service.api('POST', `/v1/subscriptions/${vip}/test`, {});
  return {
    engagementId,
    relationshipId,
    contacts: contacts.length,
    receiverUrl: receiver.url,
    failingUrl: failing.url,
    closeReceivers: async () => {
      await receiver.close();
      await failing.close();
    },
  };
}

export async function waitForJob(service: ConsoleService, jobId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await service.api('GET', `/v1/jobs/${jobId}`);
    if (job.body.state === 'succeeded' || job.body.state === 'failed') return job.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} did not finish: ${JSON.stringify(job.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Debian's Chromium (apt install chromium), or CHROMIUM_PATH; nothing downloads a browser of its own. */
export const BROWSER_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether the browser tests can run here. Without a browser they are skipped with a notice, so that
 * `npm test` stays true on a machine with Node alone; CI sets REQUIRE_BROWSER=1 (and installs one).
 */
export function browserAvailable(): boolean {
  if (existsSync(BROWSER_PATH)) return true;
  if (process.env.REQUIRE_BROWSER === '1')
    throw new Error(`No browser at ${BROWSER_PATH} (REQUIRE_BROWSER=1): apt install chromium, or set CHROMIUM_PATH.`);
  process.stderr.write(
    `\n  test/admin: no browser at ${BROWSER_PATH}, the console's browser tests are skipped (apt install chromium, or set CHROMIUM_PATH)\n\n`,
  );
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: BROWSER_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export type Viewport = { width: number; height: number };
export const DESKTOP: Viewport = { width: 1280, height: 800 };
export const PHONE: Viewport = { width: 390, height: 844 };

/**
 * A tab of the console. It records Content-Security-Policy violations (the page's CSP stays as the
 * service sends it) and uncaught page errors, which the tests require to stay empty.
 */
export async function openConsole(
  browser: Browser,
  base: string,
  viewport: Viewport = DESKTOP,
): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({
    viewport,
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'Europe/Berlin',
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of (4\d\d|503)/.test(message.text()))
      problems.push(`console error: ${message.text()}`);
  });
  await context.addInitScript(
    "document.addEventListener('securitypolicyviolation', (event) => { (globalThis.__csp ??= []).push(event.violatedDirective + ' ' + event.blockedURI); });",
  );
  await page.goto(`${base}/admin/`);
  return { page, problems };
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('globalThis.__csp ?? []');
}

const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export type AxeViolation = {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[]; html: string; failureSummary: string }[];
};

/**
 * axe-core in the page: its source is evaluated through the DevTools protocol (page.evaluate), which
 * the page's CSP does not govern, so the CSP stays exactly as the service sends it. Answers the
 * serious and critical violations.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200), failureSummary: n.failureSummary })) })))`,
  );
  return result.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

export async function screenshot(page: Page, name: string, options: { docs?: boolean; fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  // Let fonts, charts and transitions settle.
  await page.evaluate('document.fonts.ready');
  await page.waitForTimeout(100);
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: options.fullPage ?? false });
  if (updateDocs && options.docs) {
    mkdirSync(docsScreenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(docsScreenshotDir, `${name}.png`), fullPage: false });
  }
}
