import type { Browser, Page } from 'playwright-core';
import {
  axe,
  browserAvailable,
  buildConsole,
  cspViolations,
  DESKTOP,
  launchBrowser,
  openConsole,
  PHONE,
  screenshot,
  seed,
  signIn,
  startConsoleService,
  type ConsoleService,
  type Seeded,
} from './harness';

/**
 * The admin console in a real browser (Debian's Chromium through playwright-core), against the real
 * service on a fresh database: every page as an admin, a writer and a reader would use it, with
 * axe-core on each page, the page's CSP in force (no violation may occur), and a screenshot of each
 * page in .test-screenshots/admin (UPDATE_SCREENSHOTS=1 also refreshes docs/screenshots).
 */

jest.setTimeout(60_000);

const inBrowser = browserAvailable() ? describe : describe.skip;

let service: ConsoleService;
let seeded: Seeded;
let browser: Browser;
let size: { firstLoadGzip: number; firstLoadBytes: number };
/** Tabs still open, whose CSP violations and page errors are checked at the end. */
const tabs: { name: string; page: Page; problems: string[] }[] = [];

beforeAll(async () => {
  size = buildConsole();
  service = await startConsoleService();
  seeded = await seed(service);
  if (inBrowser === describe) browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await seeded?.closeReceivers();
  await service?.close();
});

async function tab(name: string, key: string, viewport = DESKTOP) {
  const opened = await openConsole(browser, service.base, viewport);
  await signIn(opened.page, key);
  tabs.push({ name, ...opened });
  return opened.page;
}

/**
 * Waits until an expression is truthy in the page. Not page.waitForFunction: that evaluates its
 * predicate with eval inside the page, which the console's CSP (rightly) refuses.
 */
async function until(page: Page, expression: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function go(page: Page, hash: string) {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
}

async function expectAccessible(page: Page, what: string) {
  const violations = await axe(page);
  expect({ page: what, violations }).toEqual({ page: what, violations: [] });
}

/** Replaces the editor's whole text the way a person pasting would. */
async function setEditorText(page: Page, text: string) {
  const content = page.locator('.cm-content');
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

/** The 1-based number of the editor line holding `text` (every line is rendered: the documents here are short). */
function lineOf(document: string, text: string): number {
  const index = document.split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`no line holds ${text}`);
  return index + 1;
}

/** The line numbers whose editor line carries a lint mark of that severity. */
async function markedLines(page: Page, severity: 'error' | 'warning'): Promise<number[]> {
  return await page.evaluate<number[]>(
    `[...document.querySelectorAll('.cm-content .cm-line')].map((line, index) => line.querySelector('.cm-lintRange-${severity}') ? index + 1 : 0).filter(Boolean)`,
  );
}

describe('the console as the service serves it', () => {
  it('answers /admin/ with a strict CSP and a fresh nonce, redirects / and /admin there, and fits the JavaScript budget', async () => {
    const root = await fetch(`${service.base}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin/');
    const bare = await fetch(`${service.base}/admin`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/admin/');

    const pages = await Promise.all([fetch(`${service.base}/admin/`), fetch(`${service.base}/admin/profiles/anything`)]);
    const nonces = [];
    for (const page of pages) {
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self';");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      const html = await page.text();
      const nonce = /<meta name="csp-nonce" content="([^"]+)">/.exec(html)![1];
      expect(csp).toContain(`'nonce-${nonce}'`);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      nonces.push(nonce);
      const main = /<script type="module" src="(\/admin\/assets\/main-[\w]+\.js)">/.exec(html)![1];
      const asset = await fetch(`${service.base}${main}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');
    }
    expect(nonces[0]).not.toBe(nonces[1]);
    // The budget: at most 400 KB of JavaScript gzipped on the first load.
    expect(size.firstLoadGzip).toBeLessThan(400 * 1024);
  });
});

inBrowser('the console in a browser', () => {
  let admin: Page;
  let draftId: string;

  it('signs in with a key kept in sessionStorage only, becomes interactive within a second, and signs out', async () => {
    const { page, problems } = await openConsole(browser, service.base);
    tabs.push({ name: 'sign-in', page, problems });
    await page.getByLabel('API key').waitFor();
    await expectAccessible(page, 'sign in');
    await page.getByLabel('API key').fill('es_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('#api-key-error').textContent()).resolves.toMatch(/not accepted/);
    await screenshot(page, 'sign-in', { docs: true });

    await page.getByLabel('API key').fill(service.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Score profiles' }).waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(1);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await page.evaluate('document.cookie')).toBe('');

    // Time to interactive, as a returning user opens it: a fresh load with the key in the tab.
    await page.reload();
    await until(page, "document.documentElement.dataset.ready === 'profiles'");
    const ready = await page.evaluate<number>("performance.getEntriesByName('console-ready')[0].startTime");

    console.log(
      `admin console: first load ${(size.firstLoadGzip / 1024).toFixed(1)} KB of JavaScript gzipped; profiles list interactive ${Math.round(ready)} ms after navigation`,
    );
    expect(ready).toBeLessThan(1000);
    await expectAccessible(page, 'profiles');
    await screenshot(page, 'profiles', { docs: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('creates a profile: a typo is marked at its line as you type, the refusal is shown, and the fixed document is saved', async () => {
    admin = await tab('admin', service.keys.admin);
    await go(admin, '#/profiles/new');
    await admin.locator('.cm-content').waitFor();
    const document = {
      name: 'Meetings',
      description: 'Meetings and calls',
      kind: 'points',
      rules: [
        {
          name: 'Call',
          conditions: { all: [{ fact: 'interaction', path: '$.type', operator: 'equal', value: 'call' }] },
          event: { type: 'points', params: { points: 5 } },
        },
        {
          name: 'Meeting',
          conditions: { all: [{ fact: 'interaction', path: '$.tpye', operator: 'equl', value: 'meeting' }] },
          event: { type: 'points', params: { points: 10 } },
        },
      ],
      range: { min: 0, max: 100 },
      bands: [
        { name: 'Cold', min: 0, max: 20, color: '#6b7a90' },
        { name: 'Warm', min: 20, max: 100, color: '#e0a800' },
      ],
    };
    const typo = JSON.stringify(document, null, 2);
    await setEditorText(admin, typo);
    const operatorLine = lineOf(typo, '"operator": "equl"');
    // The service's error, placed at the line of its path (rules.1.conditions.all.0.operator).
    await admin.locator('.problem-list li.problem-error').first().waitFor();
    const error = admin.locator('.problem-list li.problem-error');
    await expect(error.getAttribute('data-line')).resolves.toBe(String(operatorLine));
    await expect(error.textContent()).resolves.toContain('rules.1.conditions.all.0.operator');
    await expect(error.textContent()).resolves.toContain('unknown operator "equl"');
    expect(await markedLines(admin, 'error')).toEqual([operatorLine]);
    // "Line N" takes the cursor there.
    await error.getByRole('button', { name: `Line ${operatorLine}` }).click();
    await until(admin, `document.activeElement.classList.contains('cm-content')`);
    await expectAccessible(admin, 'editor with an error');
    await admin.evaluate('window.scrollTo(0, 0)');
    await screenshot(admin, 'editor', { docs: true });

    // Creating it anyway: the service refuses, and says why next to the button.
    await admin.getByRole('button', { name: 'Create draft' }).click();
    await expect(admin.locator('.problem').filter({ hasText: 'Not created' }).textContent()).resolves.toContain(
      'rules.1.conditions.all.0.operator',
    );

    // A JSON syntax error is marked at once, at its line.
    const broken = typo.replace('"value": "call"', '"value": "call",');
    await setEditorText(admin, broken);
    await admin.locator('.problems-summary[data-state="syntax"]').waitFor();
    await expect(admin.locator('.problem-list li.problem-error').getAttribute('data-line')).resolves.toBe(
      String(lineOf(broken, '"value": "call",') + 1),
    );

    // Fix the operator: what is left is the warning about $.tpye, at its own line.
    const warned = typo.replace('"equl"', '"equal"');
    await setEditorText(admin, warned);
    await admin.locator('.problem-list li.problem-warning').waitFor();
    await expect(admin.locator('.problem-list li.problem-warning').getAttribute('data-line')).resolves.toBe(
      String(lineOf(warned, '"$.tpye"')),
    );
    await expect(admin.locator('.problem-list li.problem-warning').textContent()).resolves.toContain('Did you mean "type"?');
    expect(await markedLines(admin, 'warning')).toEqual([lineOf(warned, '"$.tpye"')]);
    expect(await admin.locator('.problem-list li.problem-error').count()).toBe(0);

    const fixed = warned.replace('"$.tpye"', '"$.type"');
    await setEditorText(admin, fixed);
    await admin.locator('.problems-summary', { hasText: 'Valid: no errors, no warnings.' }).waitFor();
    await admin.getByRole('button', { name: 'Create draft' }).click();
    await until(admin, '/^#\\/profiles\\/[0-9a-f-]{36}$/.test(location.hash)');
    draftId = (await admin.evaluate<string>('location.hash')).split('/')[2]!;
    await admin.getByRole('heading', { name: 'Meetings', level: 1 }).waitFor();
    const stored = await service.api('GET', `/v1/profiles/${draftId}`);
    expect(stored.body).toMatchObject({
      status: 'draft',
      draft: { rules: [{ name: 'Call' }, { name: 'Meeting', conditions: { all: [{ path: '$.type', operator: 'equal' }] } }] },
    });
  });

  it('completes facts, operators, event types, paths and band fields from the profile JSON Schema, and documents keys on hover', async () => {
    await go(admin, '#/profiles/new');
    await admin.locator('.cm-content').waitFor();
    const offered = async (text: string) => {
      const [before, after] = text.split('|') as [string, string];
      await setEditorText(admin, before + after);
      for (let k = 0; k < after.length; k++) await admin.keyboard.press('ArrowLeft');
      await admin.keyboard.press('Control+Space');
      await admin.locator('.cm-tooltip-autocomplete li').first().waitFor();
      const labels = await admin.locator('.cm-tooltip-autocomplete li .cm-completionLabel').allTextContents();
      await admin.keyboard.press('Escape');
      return labels;
    };
    const rule = (inside: string) => `{\n  "name": "x",\n  "kind": "points",\n  "rules": [\n    { "name": "a", ${inside} }\n  ]\n}`;
    expect(await offered(rule('"conditions": { "all": [ { "fact": "|" } ] }'))).toEqual(['interaction', 'contact']);
    expect(await offered(rule('"conditions": { "all": [ { "fact": "interaction", "operator": "|" } ] }'))).toEqual(
      expect.arrayContaining(['equal', 'in', 'greaterThanInclusive', 'not:in']),
    );
    expect(await offered(rule('"conditions": { "any": [ { "fact": "interaction", "path": "|" } ] }'))).toEqual(
      expect.arrayContaining(['$.type', '$.properties']),
    );
    expect(await offered(rule('"event": { "type": "|" }'))).toEqual(['points', 'weight']);
    expect(await offered('{\n  "name": "x",\n  "kind": "points",\n  "bands": [ { "|" } ]\n}')).toEqual(['name', 'min', 'max', 'color']);
    // Hover docs.
    await setEditorText(admin, '{\n  "name": "x",\n  "kind": "points"\n}');
    const kind = admin.locator('.cm-line', { hasText: '"kind"' });
    const box = (await kind.boundingBox())!;
    await admin.mouse.move(box.x + 40, box.y + box.height / 2);
    await expect(admin.locator('.cm-tooltip-hover').textContent()).resolves.toContain('relationship: rules weigh interactions');
  });

  it('tries an unsaved edit on a contact found by name, next to the live score, with the band change and the rule-by-rule explanation', async () => {
    await go(admin, `#/profiles/${seeded.engagementId}`);
    await admin.getByRole('heading', { name: 'Engagement', level: 1 }).waitFor();
    await admin.locator('.problems-summary[data-state="checked"]').waitFor();
    // Meetings worth twice as much, not saved.
    const draft = (await service.api('GET', `/v1/profiles/${seeded.engagementId}`)).body.draft;
    const meeting = draft.rules.find((rule: { name: string }) => rule.name === 'Appointment booked');
    meeting.event.params.points = 20;
    await setEditorText(admin, JSON.stringify(draft, null, 2));
    await admin.getByText('Unsaved changes').waitFor();

    await admin.getByLabel('Find contacts by id or name').fill('crm-00');
    await admin.getByRole('button', { name: /^Add / }).first().waitFor();
    await admin.getByRole('button', { name: /^Add / }).nth(1).click();
    await admin.getByRole('button', { name: 'Try the document' }).click();
    const row = admin.locator('.preview-results tbody tr').first();
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    const [live, mine] = [Number(cells[0].replace(/,/g, '')), Number(cells[1].replace(/,/g, ''))];
    expect(mine).toBeGreaterThan(live);
    await admin.locator('details.why summary').first().click();
    await expect(admin.locator('details.why table').first().textContent()).resolves.toContain('Appointment booked');
    // Nothing was stored: the draft is still the published document.
    const stored = await service.api('GET', `/v1/profiles/${seeded.engagementId}`);
    expect(stored.body.revision).toBe(1);
    await expectAccessible(admin, 'try it');
    await admin.evaluate("document.querySelector('.preview-results').scrollIntoView({ block: 'center' })");
    await screenshot(admin, 'try-it', { docs: true });
  });

  it('computes the impact of the edit over every contact with a progress bar, and shows draft vs live bands', async () => {
    await admin.getByRole('button', { name: 'Compute impact' }).click();
    await admin.locator('.impact-report').waitFor({ timeout: 30_000 });
    await expect(admin.locator('.impact-report .big-figure').textContent()).resolves.toMatch(
      new RegExp(`of ${seeded.contacts} contacts would change band`),
    );
    expect(await admin.locator('.impact-report table.bars tbody tr').count()).toBe(3);
    await expect(admin.locator('.job progress').getAttribute('value')).resolves.toBe('100');
    await expectAccessible(admin, 'impact');
    await admin.evaluate("document.querySelector('#impact-heading').scrollIntoView({ block: 'start' })");
    await screenshot(admin, 'impact', { docs: true });
  });

  it('does not overwrite a draft someone else saved meanwhile: it says so and shows both side by side', async () => {
    const current = await service.api('GET', `/v1/profiles/${seeded.engagementId}`);
    const theirs = { ...current.body.draft, description: 'Edited by Grace in another tab' };
    const saved = await service.api('PUT', `/v1/profiles/${seeded.engagementId}`, theirs, service.keys.otherAdmin, { 'If-Match': '"1"' });
    expect(saved.status).toBe(200);

    await admin.getByRole('button', { name: 'Save draft' }).click();
    const conflict = admin.locator('.conflict');
    await conflict.waitFor();
    await expect(conflict.getByRole('heading').textContent()).resolves.toBe('Changed by someone else since you opened it');
    await expect(conflict.locator('table.diff').textContent()).resolves.toContain('Edited by Grace in another tab');
    await expect(conflict.locator('table.diff').textContent()).resolves.toContain('"points": 20');
    expect((await service.api('GET', `/v1/profiles/${seeded.engagementId}`)).body.draft.description).toBe('Edited by Grace in another tab');
    await expectAccessible(admin, 'conflict');
    await conflict.scrollIntoViewIfNeeded();
    await screenshot(admin, 'conflict', { docs: true });

    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await admin.getByText(/Draft saved \(revision 3\)/).waitFor();
    const after = await service.api('GET', `/v1/profiles/${seeded.engagementId}`);
    expect(after.body.revision).toBe(3);
  });

  it('publishes the draft and follows the job until the bar reaches 100 %', async () => {
    const publish = admin.getByRole('button', { name: 'Publish', exact: true });
    await publish.click();
    const progress = admin.locator('.job progress').last();
    await progress.waitFor();
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      seen.add((await progress.getAttribute('value')) ?? '');
      if ((await admin.getByText('Version 2 is live.').count()) > 0) break;
      await admin.waitForTimeout(50);
    }
    await admin.getByText('Version 2 is live.').waitFor();
    await expect(progress.getAttribute('value')).resolves.toBe('100');
    await expect(admin.locator('.job-figures').last().textContent()).resolves.toMatch(
      new RegExp(`100 % · ${seeded.contacts} / ${seeded.contacts} contacts`),
    );
    expect(seen.size).toBeGreaterThanOrEqual(1);
    await admin.locator('.meta .status').getByText('live version 2').waitFor();
    await expectAccessible(admin, 'published');
    await admin.locator('#publish-heading').scrollIntoViewIfNeeded();
    await screenshot(admin, 'publish', { docs: true });
  });

  it('lists versions with who published them, diffs two side by side and restores one as the draft', async () => {
    await go(admin, `#/profiles/${seeded.engagementId}/versions`);
    await admin.getByRole('heading', { name: 'Versions of Engagement' }).waitFor();
    const rows = admin.locator('table').first().locator('tbody tr');
    expect(await rows.count()).toBe(2);
    await expect(rows.first().textContent()).resolves.toMatch(/2\s*live.*Ada \(admin\)/);
    const diff = admin.locator('table.diff');
    await diff.waitFor();
    await expect(diff.locator('td.minus').allTextContents()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('"points": 10')]),
    );
    await expect(diff.locator('td.plus').allTextContents()).resolves.toEqual(
      expect.arrayContaining([expect.stringContaining('"points": 20')]),
    );
    await admin.getByRole('button', { name: 'View version 1' }).click();
    await expect(admin.locator('pre.document').textContent()).resolves.toContain('"name": "Engagement"');
    await expectAccessible(admin, 'versions');
    await admin.getByRole('button', { name: 'Hide version 1' }).click();
    await admin.evaluate("document.querySelector('#compare-heading').scrollIntoView({ block: 'start' })");
    await screenshot(admin, 'versions', { docs: true });

    await admin.getByRole('button', { name: 'Restore as draft (version 1)' }).click();
    await admin.getByText('Version 1 is the draft again').waitFor();
    const restored = await service.api('GET', `/v1/profiles/${seeded.engagementId}`);
    expect(restored.body.draft.rules[2].event.params.points).toBe(10);
    expect(restored.body.live.version).toBe(2);
  });

  it('shows the dashboard: bands now and then in their colours, the histogram, the average, movers and who needs attention (VIPs first)', async () => {
    await go(admin, `#/dashboard/${seeded.engagementId}`);
    await until(admin, "document.documentElement.dataset.ready === 'dashboard'");
    const bars = admin.locator('.distribution .bar-first');
    expect(await bars.count()).toBe(3);
    expect(await admin.evaluate("getComputedStyle(document.querySelector('.distribution .bar-first')).backgroundColor")).toBe(
      'rgb(214, 69, 69)',
    );
    expect(await admin.locator('.histogram .column').count()).toBe(20);
    await expect(admin.locator('.card', { hasText: 'Average score' }).textContent()).resolves.toMatch(/vs [\d.]+ 7 days ago/);
    const attention = admin.locator('table', { has: admin.locator('caption', { hasText: 'need attention' }) }).locator('tbody tr');
    expect(await attention.count()).toBeGreaterThan(0);
    const vip = await attention.evaluateAll((rows) =>
      rows.map((row) => (row as unknown as { querySelector(s: string): unknown }).querySelector('.tag-vip') !== null),
    );
    // VIPs first: no VIP after a non-VIP.
    expect(vip.indexOf(false) === -1 || !vip.slice(vip.indexOf(false)).includes(true)).toBe(true);
    await expectAccessible(admin, 'dashboard');
    await screenshot(admin, 'dashboard', { docs: true });
    // Each contact links to its page.
    await attention.first().getByRole('link').click();
    await admin.locator('.contact-page').waitFor();
  });

  it("tells a contact's story — scores, a history chart with band edges, explanation, who knows them best, timeline — and lets a writer adjust the score", async () => {
    const writer = await tab('writer', service.keys.writer);
    await go(writer, '#/contacts/crm-002');
    await until(writer, "document.documentElement.dataset.ready === 'contact'");
    await writer.getByRole('heading', { name: /\(crm-002\)|^[A-Z]/, level: 1 }).waitFor();
    expect(await writer.locator('.score-card').count()).toBe(2);
    await writer.locator('.history .chart[data-drawn="true"] canvas').waitFor();
    // Hovering the chart reads the point under the cursor, with its asOf.
    const box = (await writer.locator('.history .chart canvas').boundingBox())!;
    await writer.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await until(writer, "/^As of .+: [\\d.,]+/.test(document.querySelector('.history .readout').textContent)");
    await writer.evaluate('window.scrollTo(0, 0)');
    await screenshot(writer, 'contact', { docs: true });
    await writer.mouse.move(0, 0);
    await until(writer, "document.querySelector('.history .readout').textContent.startsWith('Latest')");
    // And so do the arrow keys.
    await writer.locator('.history .chart').focus();
    await writer.keyboard.press('ArrowLeft');
    await until(writer, "document.querySelector('.history .readout').textContent.startsWith('As of')");
    await expect(writer.locator('table.explanation').textContent()).resolves.toContain('Met at the Lisbon conference');
    expect(await writer.locator('table.members tbody tr').count()).toBeGreaterThan(0);
    expect(await writer.locator('.meter span').count()).toBeGreaterThan(0);
    expect(await writer.locator('ol.timeline li').count()).toBeGreaterThan(0);
    await expect(writer.locator('ol.timeline').textContent()).resolves.toMatch(/Engagement: \+/);
    await expectAccessible(writer, 'contact');

    // A writer adjusts: a missing reason is named at its field, then the adjustment lands.
    await writer.getByLabel('Points').fill('5');
    await writer.getByRole('button', { name: 'Adjust' }).click();
    await expect(writer.locator('#adjust-reason-error').textContent()).resolves.toContain('say why');
    await writer.getByLabel('Reason').fill('Called back about the renewal');
    await writer.getByRole('button', { name: 'Adjust' }).click();
    await writer.getByText(/Done: the score in Engagement is now/).waitFor();
    await writer.locator('table.explanation', { hasText: 'Called back about the renewal' }).waitFor();
    // A writer has no editing controls.
    await go(writer, `#/profiles/${seeded.engagementId}`);
    await writer.getByText(/Publishing needs an admin key; this is a writer key/).waitFor();
  });

  it('shows an account: roll-up, trend, its contacts and its strongest team members', async () => {
    await go(admin, '#/accounts/acme');
    await until(admin, "document.documentElement.dataset.ready === 'account'");
    await expect(admin.locator('.card', { hasText: 'Roll-up score' }).textContent()).resolves.toMatch(/\d/);
    // Contacts with a score in the relationship profile (it asks for 2 interactions), as the API lists them.
    const scored = await service.api('GET', '/v1/accounts/acme/relationships', undefined, service.keys.admin);
    expect(scored.body.items.length).toBeGreaterThan(0);
    expect(await admin.locator('table').first().locator('tbody tr').count()).toBe(scored.body.items.length);
    expect(await admin.locator('table.members tbody tr').count()).toBe(3);
    await expectAccessible(admin, 'account');
    await screenshot(admin, 'account', { docs: true });
  });

  it('lists contacts by score, page by page with the API cursors', async () => {
    await go(admin, `#/contacts?profile=${seeded.engagementId}`);
    await admin.getByRole('heading', { name: 'Contacts', level: 1 }).waitFor();
    await admin.getByLabel('Score in').selectOption(seeded.engagementId);
    const firstCell = admin.locator('table tbody tr th').first();
    await until(admin, "document.querySelectorAll('table tbody tr').length === 25");
    const first = await firstCell.textContent();
    await admin.getByRole('button', { name: 'Next →' }).click();
    await admin.getByText('Page 2').waitFor();
    await until(admin, `document.querySelector('table tbody tr th').textContent !== ${JSON.stringify(first)}`);
    await admin.getByRole('button', { name: '← Previous' }).click();
    await until(admin, `document.querySelector('table tbody tr th').textContent === ${JSON.stringify(first)}`);
    await admin.getByLabel('Id or name starts with').fill('crm-11');
    await until(admin, "document.querySelectorAll('table tbody tr').length === 10");
    await admin.getByLabel('Id or name starts with').fill('');
    await until(admin, "document.querySelectorAll('table tbody tr').length === 25");
    await expectAccessible(admin, 'contacts');
    await screenshot(admin, 'contacts', { docs: true });
  });

  it('manages triggers: the delivery log with attempts and status codes, a signed test event, redelivery, and field errors', async () => {
    await go(admin, '#/triggers');
    await admin.getByRole('heading', { name: 'Triggers', level: 1 }).waitFor();
    const rows = admin.locator('table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    // A URL the service refuses: its reason appears under the URL field.
    await admin.getByLabel('Threshold').fill('30');
    await admin.getByLabel('Webhook URL').fill('ftp://example.com/hook');
    await admin.getByRole('button', { name: 'Subscribe' }).click();
    await admin.locator('#sub-url-error').waitFor();
    await expectAccessible(admin, 'triggers');
    await screenshot(admin, 'triggers', { docs: true });

    await admin.getByRole('link', { name: 'Band changed', exact: true }).click();
    await admin.getByRole('heading', { name: 'Band changed', level: 1 }).waitFor();
    await admin.getByRole('button', { name: 'Send a test event' }).click();
    await admin.getByText(/Not delivered: the receiver answered 500/).waitFor();
    const log = admin.locator('table.deliveries tbody tr').first();
    await until(admin, "/failed.*500/.test(document.querySelector('table.deliveries tbody tr')?.textContent ?? '')");
    await log.getByRole('button', { name: /Redeliver/ }).click();
    await log.getByText('queued again').waitFor();
    await until(admin, "document.querySelector('table.deliveries tbody tr .status').textContent === 'pending'");
    await expectAccessible(admin, 'delivery log');
    await screenshot(admin, 'deliveries', { docs: true });
  });

  it('lists saved segments with their filter, size and subscription; one opens on its members, scored, page by page; a writer creates and deletes one', async () => {
    const created = await Promise.all([
      service.api('POST', '/v1/segments', {
        name: 'Customers by engagement',
        description: 'Paying customers, most engaged first',
        filter: { profileId: seeded.engagementId, tags: ['customer'] },
      }),
      service.api('POST', '/v1/segments', { name: 'Active VIPs', filter: { allTags: ['vip', 'customer'], lastInteractionAfter: '30d' } }),
    ]);
    expect(created.map((answer) => answer.status)).toEqual([201, 201]);
    const [customers, vips] = created.map((answer) => answer.body as { id: string; size: number });
    const watch = await service.api('POST', '/v1/subscriptions', {
      segmentId: customers.id,
      event: 'segment.entered',
      url: seeded.receiverUrl,
      description: 'New engaged customer → CRM',
    });
    expect(watch.status).toBe(201);
    const sizes = Object.fromEntries(
      (await service.api('GET', '/v1/segments')).body.items.map((segment: { id: string; size: number }) => [segment.id, segment.size]),
    );
    expect(sizes[customers.id]).toBeGreaterThan(25);

    await go(admin, '#/segments');
    await until(admin, "document.documentElement.dataset.ready === 'segments'");
    await until(admin, "document.querySelector('table.segments').textContent.includes('scored in Engagement')");
    const row = (name: string) => admin.locator('table.segments tbody tr', { has: admin.getByRole('link', { name, exact: true }) });
    expect(await admin.locator('table.segments tbody tr').count()).toBe(2);
    expect((await row('Customers by engagement').locator('td').allTextContents()).slice(0, 3)).toEqual([
      'scored in Engagement · tagged customer',
      sizes[customers.id].toLocaleString('en'),
      'watched',
    ]);
    expect((await row('Active VIPs').locator('td').allTextContents()).slice(0, 3)).toEqual([
      'tagged vip and customer · active within 30d',
      sizes[vips.id].toLocaleString('en'),
      'no subscription',
    ]);
    await expectAccessible(admin, 'segments');
    await screenshot(admin, 'segments', { docs: true });

    // Its members: the API's first page, with score and band, highest score first; then page 2.
    await row('Customers by engagement').getByRole('link', { name: 'Customers by engagement' }).click();
    await admin.getByRole('heading', { name: 'Customers by engagement', level: 1 }).waitFor();
    await until(admin, "document.documentElement.dataset.ready === 'segment'");
    await expect(admin.locator('.segment-size').textContent()).resolves.toBe(sizes[customers.id].toLocaleString('en'));
    const firstPage = (await service.api('GET', `/v1/segments/${customers.id}/contacts?limit=25`)).body;
    const members = admin.locator('table.members-list tbody tr');
    expect(await members.count()).toBe(25);
    expect(await admin.locator('table.members-list thead th').allTextContents()).toEqual([
      'Contact',
      'Score',
      'Band',
      'Account',
      'Tags',
      'Last interaction',
    ]);
    const shownIds = await members
      .locator('th a')
      .evaluateAll((links) =>
        links.map((link) =>
          decodeURIComponent(String((link as unknown as { getAttribute(name: string): string }).getAttribute('href')).split('/')[2]),
        ),
      );
    expect(shownIds).toEqual(firstPage.items.map((item: { id: string }) => item.id));
    const shownScores = (await members.locator('td.num').allTextContents()).map((text) => Number(text.replace(/,/g, '')));
    expect(shownScores).toEqual([...shownScores].sort((a, b) => b - a));
    expect(await members.locator('.band').count()).toBe(25);
    await expectAccessible(admin, 'segment members');
    await screenshot(admin, 'segment', { docs: true });
    await admin.getByRole('button', { name: 'Next →' }).click();
    await admin.getByText('Page 2').waitFor();
    await until(admin, `document.querySelectorAll('table.members-list tbody tr').length === ${sizes[customers.id] - 25}`);

    // The Triggers page names the segment its subscription hears.
    await go(admin, '#/triggers');
    await admin.getByRole('link', { name: 'Segment Customers by engagement' }).waitFor();

    // A writer saves one through the form (a missing name is named at its field), then deletes it.
    const writer = await tab('segment writer', service.keys.writer);
    await go(writer, '#/segments');
    await until(writer, "document.documentElement.dataset.ready === 'segments'");
    await writer.getByRole('button', { name: 'Save segment' }).click();
    await writer.locator('#seg-name-error').waitFor();
    await writer.getByLabel('Name').fill('Acme leads');
    await writer.getByLabel('Any of the tags (comma separated)').fill('lead');
    await writer.getByLabel('Account').fill('acme');
    await writer.getByRole('button', { name: 'Save segment' }).click();
    await writer.getByRole('heading', { name: 'Acme leads', level: 1 }).waitFor();
    const saved = (await service.api('GET', '/v1/segments')).body.items.find((segment: { name: string }) => segment.name === 'Acme leads');
    expect(saved).toMatchObject({ filter: { tags: ['lead'], accountId: 'acme' } });
    await until(writer, "document.documentElement.dataset.ready === 'segment'");
    await expect(writer.locator('.segment-size').textContent()).resolves.toBe(String(saved.size));
    expect(await writer.locator('table.members-list thead th').allTextContents()).toEqual([
      'Contact',
      'Account',
      'Tags',
      'Last interaction',
    ]);
    await writer.getByRole('button', { name: 'Delete this segment' }).click();
    await writer.getByRole('heading', { name: 'Segments', level: 1 }).waitFor();
    expect((await service.api('GET', `/v1/segments/${saved.id}`)).status).toBe(404);

    // A reader reads them: no form, no delete.
    const reader = await tab('segment reader', service.keys.reader);
    await go(reader, '#/segments');
    await until(reader, "document.documentElement.dataset.ready === 'segments'");
    await reader.getByText(/creating and deleting segments need a writer or admin key \(this is a reader key\)/).waitFor();
    expect(await reader.getByRole('button', { name: 'Save segment' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: /Delete/ }).count()).toBe(0);
    await go(reader, `#/segments/${vips.id}`);
    await until(reader, "document.documentElement.dataset.ready === 'segment'");
    expect(await reader.locator('table.members-list tbody tr').count()).toBe(Math.min(25, sizes[vips.id]));
    expect(await reader.getByRole('button', { name: /Delete/ }).count()).toBe(0);
  });

  it('a reader sees everything read-only: no publish control, and the API refuses a publish with its key', async () => {
    const reader = await tab('reader', service.keys.reader);
    await go(reader, `#/profiles/${seeded.engagementId}`);
    await reader.locator('.cm-content').waitFor();
    expect(await reader.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: 'Save draft' }).count()).toBe(0);
    expect(await reader.locator('.cm-content').getAttribute('contenteditable')).toBe('false');
    await reader.getByText('Publishing needs an admin key; this is a reader key.').waitFor();
    const refused = await reader.evaluate<{ status: number; body: { detail: string } }>(
      `fetch('/v1/profiles/${seeded.engagementId}/publish', { method: 'POST', headers: { Authorization: 'Bearer ' + sessionStorage.getItem('engagement-score.api-key'), 'Content-Type': 'application/json' }, body: '{}' }).then(async (r) => ({ status: r.status, body: await r.json() }))`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('needs the admin role');
    await expectAccessible(reader, 'editor (reader)');
    await screenshot(reader, 'editor-reader');
    await go(reader, '#/triggers');
    await reader.getByText(/need an admin key; this is a reader key/).waitFor();
    await go(reader, `#/profiles/${seeded.engagementId}/versions`);
    await reader.getByRole('heading', { name: 'Versions of Engagement' }).waitFor();
    expect(await reader.getByRole('button', { name: /Restore as draft/ }).count()).toBe(0);
  });

  it('is keyboard-operable with a visible focus: skip link, navigation, and the editor page reached by Enter', async () => {
    await go(admin, '#/profiles');
    // A fresh load, so that Tab starts at the top of the page.
    await admin.reload();
    await until(admin, "document.documentElement.dataset.ready === 'profiles'");
    const visited: string[] = [];
    for (let step = 0; step < 8; step++) {
      await admin.keyboard.press('Tab');
      const focused = await admin.evaluate<{ text: string; outline: boolean }>(
        `(() => { const el = document.activeElement; const style = getComputedStyle(el); return { text: (el.textContent || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 40), outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 }; })()`,
      );
      expect(focused).toEqual({ text: focused.text, outline: true });
      visited.push(focused.text);
    }
    expect(visited.slice(0, 7)).toEqual([
      'Skip to content',
      'Engagement Score',
      'Profiles',
      'Dashboard',
      'Contacts',
      'Segments',
      'Triggers',
    ]);
    await admin.getByRole('link', { name: 'Engagement', exact: true }).focus();
    await admin.keyboard.press('Enter');
    await admin.getByRole('heading', { name: 'Engagement', level: 1 }).waitFor();
    // The new page's heading has the focus, so reading starts there.
    await until(admin, "document.activeElement && document.activeElement.tagName === 'H1'");
    // The editor does not trap Tab.
    await admin.locator('.cm-content').focus();
    await admin.keyboard.press('Tab');
    expect(await admin.evaluate("document.activeElement.classList.contains('cm-content')")).toBe(false);
  });

  it('is readable at 390×844: no page scrolls sideways, every page passes axe', async () => {
    const phone = await tab('phone', service.keys.admin, PHONE);
    for (const [hash, name, ready] of [
      ['#/profiles', 'profiles', "document.documentElement.dataset.ready === 'profiles'"],
      [`#/profiles/${seeded.engagementId}`, 'editor', "document.querySelector('.cm-content') !== null"],
      [`#/dashboard/${seeded.engagementId}`, 'dashboard', "document.documentElement.dataset.ready === 'dashboard'"],
      ['#/contacts/crm-002', 'contact', 'document.querySelector(\'.history .chart[data-drawn="true"]\') !== null'],
      ['#/triggers', 'triggers', "document.documentElement.dataset.ready === 'triggers'"],
      ['#/segments', 'segments', "document.documentElement.dataset.ready === 'segments'"],
    ] as const) {
      await go(phone, hash);
      await until(phone, ready);
      await phone.waitForTimeout(150);
      expect({ name, width: await phone.evaluate('document.documentElement.scrollWidth') }).toEqual({ name, width: 390 });
      await expectAccessible(phone, `${name} at 390×844`);
      await screenshot(phone, `phone-${name}`, { docs: name === 'dashboard' || name === 'contact' });
    }
  });

  it('broke no Content-Security-Policy rule and threw no error on any page', async () => {
    for (const { name, page, problems } of tabs) {
      expect({ name, csp: await cspViolations(page), problems }).toEqual({ name, csp: [], problems: [] });
    }
  });
});
