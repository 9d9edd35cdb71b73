import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createIdentityClient, createWorkflowClient } from '@tongban/clients';
import jsqr from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, launchChromium, seriousViolations } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
// 陈杰: the README walk activates 张伟, the phone test 李娜; each system is seeded afresh anyway.
const RESIDENT = '陈杰';

interface Watched {
  readonly problems: string[];
  readonly requests: string[];
}

/** Console errors, page errors, CSP violations and every request the page makes. */
async function watch(page: Page): Promise<Watched> {
  const watched: Watched = { problems: [], requests: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /content security policy/i.test(msg.text())) {
      watched.problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => watched.problems.push(`pageerror: ${err.message}`));
  page.on('request', (request) => watched.requests.push(request.url()));
  await page.exposeFunction('__reportCspViolation', (text: string) =>
    watched.problems.push(`csp: ${text}`),
  );
  // Added by the DevTools protocol, not as a <script>: the page's CSP does not apply to it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __reportCspViolation(t: string): void })
        .__reportCspViolation;
      report(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return watched;
}

/** The seeded resident's subject id and one-time activation code, from the credentials file. */
async function seededResident(
  system: RunningSystem,
  name: string,
): Promise<{ subjectId: string; code: string }> {
  const text = await readFile(join(system.dataDir, 'demo', 'credentials.txt'), 'utf8');
  const line = text
    .split('\n')
    .filter((l) => l.startsWith(`resident ${name} `))
    .at(-1);
  const match = /subject (\S+) .*activation code (\S+)/.exec(line ?? '');
  if (!match?.[1] || !match[2]) throw new Error(`no activation code for ${name}:\n${text}`);
  return { subjectId: match[1], code: match[2] };
}

/** The text of the QR code drawn on the page's canvas, read from a screenshot as a camera would. */
async function readQr(page: Page): Promise<string> {
  const png = PNG.sync.read(await page.locator('canvas[data-field="qr"]').screenshot());
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  // jsqr is CommonJS whose types describe an ES default export (see packages/tokens).
  const code = jsqr.default(pixels, png.width, png.height);
  if (code === null) throw new Error('no QR code found in the screenshot');
  return code.data;
}

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('resident page in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let axe: string;
  let resident: { subjectId: string; code: string };
  let clerkToken: string;
  /** One browser profile throughout: the device activated in the first test stays in it. */
  let context: BrowserContext;

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    axe = await axeSource();
    resident = await seededResident(system, RESIDENT);
    const password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    const login = await createIdentityClient({ baseUrl: system.urls.identity }).POST(
      '/v1/auth/login',
      { body: { username: 'public-security.clerk', password } },
    );
    if (!login.data) throw new Error(`clerk login: ${login.response.status}`);
    clerkToken = login.data.accessToken;
    // A phone: 360 CSS px at twice the pixels, as most are.
    context = await browser.newContext({
      locale: 'zh-CN',
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
    });
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  const verify = (token: string) =>
    createIdentityClient({ baseUrl: system.urls.identity, token: clerkToken }).POST(
      '/v1/presentations/verify',
      { body: { token, counter: 'browser test' } },
    );

  it('activates the device at 360 px with a key that cannot be exported, and shows a live QR code identity accepts', async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-resident-state="activate"]', { timeout: 15_000 });
    expect(await page.textContent('h1')).toBe('我的通办');
    expect(await page.textContent('label[for="activation-code"]')).toBe('激活码');
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'resident-activate-zh-CN-360.png') });

    // A wrong code is refused by identity, in words, and the form stays.
    await page.fill('#activation-code', 'ABCD-EFGH-JKMN-PQRS');
    await page.click('.resident-activate button[type="submit"]');
    await page.waitForSelector('#activation-error:not(:empty)', { timeout: 15_000 });
    expect(await page.textContent('#activation-error')).toContain('激活码不正确');

    // Typed from paper: lower case and spaces.
    await page.fill('#activation-code', resident.code.toLowerCase().replace(/-/g, ' '));
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });

    const stored = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('tongban-resident');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const device = await new Promise<{
        subjectId: string;
        keys: CryptoKeyPair;
      }>((ok, fail) => {
        const r = db.transaction('device').objectStore('device').get('current');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      db.close();
      const exported = await crypto.subtle
        .exportKey('jwk', device.keys.privateKey)
        .then(() => 'exported')
        .catch((e: Error) => e.name);
      return {
        subjectId: device.subjectId,
        extractable: device.keys.privateKey.extractable,
        algorithm: device.keys.privateKey.algorithm as EcKeyAlgorithm,
        exported,
      };
    });
    expect(stored).toEqual({
      subjectId: resident.subjectId,
      extractable: false,
      algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
      exported: 'InvalidAccessError',
    });

    expect(await page.textContent('[data-field="countdown"]')).toMatch(/^有效期还剩 \d{1,2} 秒$/);
    const seconds = Number(
      /\d+/.exec((await page.textContent('[data-field="countdown"]')) ?? '')?.[0],
    );
    expect(seconds).toBeGreaterThan(10);
    expect(seconds).toBeLessThanOrEqual(60);

    const token = await readQr(page);
    const checked = await verify(token);
    expect(checked.response.status).toBe(200);
    expect(checked.data?.subjectId).toBe(resident.subjectId);
    // Single use: the same picture shown again is refused.
    expect((await verify(token)).response.status).toBe(409);

    // Every call went through the portal's gateway, each resident call with a DPoP proof.
    const api = watched.requests.filter((u) => new URL(u).pathname.startsWith('/api/'));
    expect(api.map((u) => new URL(u).pathname)).toEqual(
      expect.arrayContaining([
        '/api/identity/v1/devices/activate',
        '/api/identity/v1/auth/device-token',
        '/api/identity/v1/presentations',
      ]),
    );
    expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.screenshot({
      path: join(SCREENSHOTS, 'resident-zh-CN-360.png'),
      fullPage: true,
    });
    // Chromium logs the refused wrong code's 400; nothing else.
    const refused =
      'console: Failed to load resource: the server responded with a status of 400 (Bad Request)';
    expect(watched.problems.filter((p) => p === refused)).toHaveLength(1);
    const others = watched.problems.filter((p) => p !== refused);
    expect(others, others.join('\n')).toEqual([]);
    await page.close();
  });

  /** A case officer of `department` (seeded as `<department with hyphens>.officer`). */
  async function officer(department: string) {
    const password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    const login = await createIdentityClient({ baseUrl: system.urls.identity }).POST(
      '/v1/auth/login',
      { body: { username: `${department.replace(/_/g, '-')}.officer`, password } },
    );
    if (!login.data) throw new Error(`officer login: ${login.response.status}`);
    return createWorkflowClient({ baseUrl: system.urls.workflow, token: login.data.accessToken });
  }

  for (const locale of ['zh-CN', 'en'] as const) {
    for (const viewport of [
      { name: 'desktop', width: 1280, height: 800 },
      { name: 'phone', width: 360, height: 740 },
    ]) {
      it(`shows my cases with their stages and timelines in ${locale} at ${viewport.width} px, accessibly`, async () => {
        const page = await context.newPage();
        const watched = await watch(page);
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        await page.addInitScript((l) => localStorage.setItem('tongban.locale', l), locale);
        await page.goto(`${system.urls.portal}/resident`);
        await page.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
        await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
        const zh = locale === 'zh-CN';
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await page.textContent('#resident-cases-title')).toBe(zh ? '我的办件' : 'My cases');
        expect(await page.textContent('[data-field="countdown"]')).toMatch(
          zh ? /^有效期还剩 \d{1,2} 秒$/ : /^Valid for \d{1,2} more seconds?$/,
        );

        // 陈杰's marriage registration, opened at the civil affairs counter by the seed.
        const article = page.locator('article.resident-case');
        expect(await article.count()).toBe(1);
        const caseId = (await article.getAttribute('data-case-id')) ?? '';
        const open = await article.locator('.resident-steps li[data-status="open"]').first();
        const department = (await open.getAttribute('data-department')) ?? '';
        const workflow = await officer(department);
        const read = await workflow.GET('/v1/cases/{id}', { params: { path: { id: caseId } } });
        expect(read.data?.service.code).toBe('marriage_registration');
        expect(await article.locator('[data-field="service"]').textContent()).toBe(
          zh ? read.data?.service.name.zh : read.data?.service.name.en,
        );
        expect(await article.locator('[data-field="number"]').textContent()).toBe(
          read.data?.number,
        );
        expect(await article.locator('.facts .badge').textContent()).toBe(
          zh ? '办理中' : 'In progress',
        );
        const events = await workflow.GET('/v1/cases/{id}/events', {
          params: { path: { id: caseId }, query: { limit: 200 } },
        });
        const summaries = (events.data?.items ?? []).map((e) => (zh ? e.summary.zh : e.summary.en));
        expect(summaries.length).toBeGreaterThan(0);
        expect(
          await article.locator('.resident-timeline .resident-event').allTextContents(),
        ).toEqual(summaries);
        expect(
          await article
            .getByRole('button', { name: zh ? '撤回申请' : 'Withdraw the application' })
            .count(),
        ).toBe(1);

        expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `resident-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await page.close();
      });
    }
  }

  it('pauses the QR code while the page is hidden and shows a fresh one when it is back', async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    const first = await page.getAttribute('canvas[data-field="qr"]', 'data-expires-at');
    const asked = () =>
      watched.requests.filter((u) => new URL(u).pathname === '/api/identity/v1/presentations')
        .length;
    const before = asked();
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate((s) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
        document.dispatchEvent(new Event('visibilitychange'));
      }, state);
    await setVisibility('hidden');
    await page.waitForSelector('[data-qr-state="paused"]');
    expect(await page.isVisible('canvas[data-field="qr"]')).toBe(false);
    expect(await page.textContent('[data-field="countdown"]')).toBe('');
    await page.waitForTimeout(1_500);
    expect(asked()).toBe(before);
    await setVisibility('visible');
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    expect(asked()).toBe(before + 1);
    const second = await page.getAttribute('canvas[data-field="qr"]', 'data-expires-at');
    expect(Date.parse(second ?? '')).toBeGreaterThan(Date.parse(first ?? ''));
    const token = await readQr(page);
    expect((await verify(token)).data?.subjectId).toBe(resident.subjectId);
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });

  it('renews the QR code before the shown one expires', { timeout: 90_000 }, async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    const canvas = 'canvas[data-field="qr"]';
    const first = (await page.getAttribute(canvas, 'data-expires-at')) ?? '';
    const firstToken = await readQr(page);
    // Tokens live 60 s; the page asks for the next one 10 s before, so the code never lapses.
    await page.waitForFunction(
      ([selector, at]) => document.querySelector(selector)?.getAttribute('data-expires-at') !== at,
      [canvas, first] as const,
      { timeout: 60_000, polling: 500 },
    );
    const renewedAt = Date.now();
    expect(renewedAt).toBeLessThan(Date.parse(first));
    const token = await readQr(page);
    expect(token).not.toBe(firstToken);
    expect((await verify(token)).data?.subjectId).toBe(resident.subjectId);
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });

  it('answers a request for information and then withdraws the application', async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.addInitScript(() => localStorage.setItem('tongban.locale', 'en'));
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
    const article = page.locator('article.resident-case');
    const caseId = (await article.getAttribute('data-case-id')) ?? '';
    const open = article.locator('.resident-steps li[data-status="open"]').first();
    const department = (await open.getAttribute('data-department')) ?? '';
    const workflow = await officer(department);
    const read = await workflow.GET('/v1/cases/{id}', { params: { path: { id: caseId } } });
    const task = read.data?.tasks.find((t) => t.status === 'open' && t.department === department);
    if (!read.data || !task) throw new Error('no open task to ask from');
    const asked = await workflow.POST('/v1/cases/{id}/tasks/{taskId}/decision', {
      params: {
        path: { id: caseId, taskId: task.id },
        header: { 'if-match': `"${caseId}.v${read.data.version}"` },
      },
      body: {
        decision: 'request_information',
        reason: 'Please send <b>your</b> partner’s ID number.',
      },
    });
    expect(asked.response.status).toBe(200);

    await page.reload();
    await page.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
    expect(await article.getAttribute('data-status')).toBe('awaiting_information');
    // The department's words are shown as text, never as markup.
    expect(await article.locator('[data-field="asked"]').textContent()).toBe(
      'The department asks: Please send <b>your</b> partner’s ID number.',
    );
    expect(await article.locator('b').count()).toBe(0);
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'resident-asked-en-360.png'), fullPage: true });

    await page.fill('.resident-answer textarea', 'Her ID number is on the marriage record.');
    await page.click('.resident-answer button[type="submit"]');
    await page.waitForSelector('.resident-announce:text("Your answer was sent.")', {
      timeout: 15_000,
    });
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('resident-announce');
    expect(await article.getAttribute('data-status')).toBe('in_progress');
    expect(
      await article.locator('.resident-timeline li[data-type="case.information_provided"]').count(),
    ).toBe(1);

    await page.click('article.resident-case .resident-case-actions button.secondary');
    await page.fill('.resident-withdraw textarea', 'We will register later.');
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.click('.resident-withdraw button[type="submit"]');
    await page.waitForSelector('.resident-announce:text("The application was withdrawn.")', {
      timeout: 15_000,
    });
    expect(await article.getAttribute('data-status')).toBe('withdrawn');
    expect(await article.locator('.facts .badge').textContent()).toBe('Withdrawn');
    expect(await article.locator('.resident-case-actions').count()).toBe(0);
    const after = await workflow.GET('/v1/cases/{id}', { params: { path: { id: caseId } } });
    expect(after.data?.status).toBe('withdrawn');
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });

  it('lists who verified me and who read my data, each read checked against the signed head in the browser', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const page = await context.newPage();
      const watched = await watch(page);
      await page.addInitScript((l) => localStorage.setItem('tongban.locale', l), locale);
      await page.goto(`${system.urls.portal}/resident`);
      await page.waitForSelector('[data-verifications-state="shown"]', { timeout: 15_000 });
      await page.waitForSelector('[data-reads-state="verified"]', { timeout: 15_000 });
      const zh = locale === 'zh-CN';
      // The scans of the earlier tests, at the public security counter named "browser test".
      const scans = page.locator('.resident-verifications li[data-method="presentation"]');
      expect(await scans.count()).toBeGreaterThanOrEqual(2);
      expect(await scans.first().textContent()).toContain(zh ? '公安局' : 'Public Security');
      expect(await scans.first().textContent()).toContain('browser test');
      // The seed checked 陈杰's ID card at the civil affairs counter before applying.
      expect(
        await page.locator('.resident-verifications li[data-method="in_person"]').count(),
      ).toBeGreaterThanOrEqual(1);

      const reads = page.locator('.resident-reads li');
      expect(await reads.count()).toBeGreaterThan(0);
      const states = await page.$$eval('.resident-reads li', (items) =>
        items.map((li) => li.getAttribute('data-entry-status')),
      );
      expect(states.every((s) => s === 'verified' || s === 'pending')).toBe(true);
      expect(await page.textContent('[data-field="verdict"]')).toMatch(
        zh ? /^已核验/ : /^Verified/,
      );
      expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
      expect(await seriousViolations(page, axe)).toEqual([]);
      await page.screenshot({
        path: join(SCREENSHOTS, `resident-transparency-${locale}-360.png`),
        fullPage: true,
      });
      expect(watched.problems, watched.problems.join('\n')).toEqual([]);
      await page.close();
    }
  });

  it('says plainly when the access log does not match its signed head', async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.addInitScript(() => localStorage.setItem('tongban.locale', 'en'));
    // A log that rewrites one entry's purpose: its inclusion proof no longer holds.
    await page.route('**/api/records/v1/me/access-log**', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as {
        items: { entry: { purpose: string }; leafIndex: number | null }[];
      };
      const sequenced = body.items.find((item) => item.leafIndex !== null);
      if (sequenced) sequenced.entry.purpose = 'nothing to see here';
      await route.fulfill({ response, json: body });
    });
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-reads-state="invalid"]', { timeout: 15_000 });
    expect(await page.textContent('[data-field="verdict"]')).toMatch(/^Not verified/);
    const invalid = page.locator('.resident-reads li[data-entry-status="invalid"]');
    expect(await invalid.count()).toBe(1);
    expect(await invalid.textContent()).toContain('nothing to see here');
    expect(await seriousViolations(page, axe)).toEqual([]);
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });
});
