import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRecordsClient, createWorkflowClient } from '@tongban/clients';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, launchChromium, seriousViolations } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
// 李娜: the README walk activates 张伟, the counter tests serve 王芳, the resident test 陈杰.
const RESIDENT = '李娜';

interface Watched {
  readonly problems: string[];
  readonly requests: string[];
  /** Each API call the page made that changes something: method, path and its DPoP header. */
  readonly writes: { method: string; path: string; dpop: boolean; auth: string }[];
}

/** Console errors, page errors, CSP violations and every request the page makes. */
async function watch(page: Page): Promise<Watched> {
  const watched: Watched = { problems: [], requests: [], writes: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /content security policy/i.test(msg.text())) {
      watched.problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => watched.problems.push(`pageerror: ${err.message}`));
  page.on('request', (request) => {
    watched.requests.push(request.url());
    const path = new URL(request.url()).pathname;
    if (request.method() !== 'GET' && path.startsWith('/api/')) {
      const headers = request.headers();
      watched.writes.push({
        method: request.method(),
        path,
        dpop: typeof headers.dpop === 'string' && headers.dpop.split('.').length === 3,
        auth: (headers.authorization ?? '').split(' ')[0] ?? '',
      });
    }
  });
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

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('resident page: applying for a service and my consents, in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let axe: string;
  let resident: { subjectId: string; code: string };
  /** One browser profile throughout: the device activated first stays in it. */
  let context: BrowserContext;
  let applied: { number: string; trackingCode: string } | undefined;

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    axe = await axeSource();
    resident = await seededResident(system, RESIDENT);
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

  async function open(locale: 'zh-CN' | 'en'): Promise<{ page: Page; watched: Watched }> {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.addInitScript((l) => localStorage.setItem('tongban.locale', l), locale);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-apply-state="ready"]', { timeout: 15_000 });
    await page.waitForSelector('[data-consents-state="none"], [data-consents-state="shown"]', {
      timeout: 15_000,
    });
    await page.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
    return { page, watched };
  }

  it('activates 李娜’s device at 360 px', async () => {
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-resident-state="activate"]', { timeout: 15_000 });
    await page.fill('#activation-code', resident.code);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    const subjectId = await page.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('tongban-resident');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const device = await new Promise<{ subjectId: string }>((ok, fail) => {
        const r = db.transaction('device').objectStore('device').get('current');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      db.close();
      return device.subjectId;
    });
    expect(subjectId).toBe(resident.subjectId);
    await page.waitForSelector('[data-apply-state="ready"]', { timeout: 15_000 });
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });

  it('applies for opening a restaurant with the form built from its schema, shows the case and what is not yet issued, and lists it under my cases', async () => {
    const { page, watched } = await open('zh-CN');
    expect(await page.textContent('#resident-apply-title')).toBe('申请办事');
    expect(await page.textContent('label[for="resident-apply-service"]')).toBe('办理事项');
    // 李娜's newborn registration, from the seed, is her only case so far.
    expect(await page.locator('article.resident-case').count()).toBe(1);

    await page.selectOption('#resident-apply-service', 'open_restaurant');
    await page.waitForSelector('form.resident-application[data-service="open_restaurant"]');
    expect(await page.textContent('label[for="resident-apply-businessName"]')).toContain(
      'Business name',
    );
    expect(await page.getAttribute('#resident-apply-seats', 'type')).toBe('number');
    expect(await page.getAttribute('#resident-apply-seats', 'required')).toBe('');
    expect(await page.getAttribute('#resident-apply-cuisine', 'required')).toBeNull();
    expect(await page.getAttribute('#resident-apply-openingDate', 'type')).toBe('date');

    // Nothing filled in: refused in the page, the first required field marked and focused.
    await page.click('form.resident-application button[type="submit"]');
    expect(await page.textContent('form.resident-application [role="alert"]')).toContain(
      '请检查标出的项目',
    );
    expect(await page.getAttribute('#resident-apply-businessName', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(
      'resident-apply-businessName',
    );

    // Typed text is text: markup in a field is kept as characters.
    const name = '<b>娜娜</b> 小馆';
    await page.fill('#resident-apply-businessName', name);
    await page.fill('#resident-apply-premisesAddress', '北京市东城区南池子大街 20 号');
    await page.fill('#resident-apply-floorAreaSqm', '36.5');
    await page.fill('#resident-apply-seats', '16');
    await page.fill('#resident-apply-legalRepresentative', RESIDENT);
    await page.fill('#resident-apply-openingDate', '2026-12-20');
    await page.focus('#resident-apply-openingDate');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.resident-applied [data-field="number"]', { timeout: 15_000 });
    const number = (await page.textContent('.resident-applied [data-field="number"]')) ?? '';
    const trackingCode =
      (await page.textContent('.resident-applied [data-field="tracking-code"]')) ?? '';
    expect(number).toMatch(/^TB\d{4}-\d{6}$/);
    expect(await page.getAttribute('.resident-applied [data-field="tracking-code"]', 'href')).toBe(
      `/track/${trackingCode}`,
    );
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H3');
    // 李娜 has no business licence yet: said plainly, with the department that issues one.
    const missing = page.locator('.resident-applied [data-field="missing"] li');
    expect(await missing.count()).toBeGreaterThan(0);
    const licence = page.locator('.resident-applied li[data-type="business_licence"]');
    expect(await licence.textContent()).toMatch(/^尚未签发：.+，签发部门：.+$/);

    // The case is real: workflow tracks it under that code, for the restaurant.
    const tracked = await createWorkflowClient({ baseUrl: system.urls.workflow }).GET(
      '/v1/track/{trackingCode}',
      { params: { path: { trackingCode } } },
    );
    expect(tracked.data?.number).toBe(number);
    expect(tracked.data?.service.code).toBe('open_restaurant');

    // … and "my cases" read itself again: two cases now, the new one among them.
    await page.waitForSelector(`article.resident-case[data-case="${number}"]`, {
      timeout: 15_000,
    });
    expect(await page.locator('article.resident-case').count()).toBe(2);

    // The application went with the device's token, a proof and an idempotency key.
    const post = watched.writes.find((w) => w.path === '/api/workflow/v1/cases');
    expect(post).toMatchObject({ method: 'POST', dpop: true, auth: 'DPoP' });
    expect(await page.locator('b').count()).toBe(0);

    expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.screenshot({
      path: join(SCREENSHOTS, 'resident-applied-zh-CN-360.png'),
      fullPage: true,
    });
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    applied = { number, trackingCode };
    await page.close();
  });

  it('gives a consent and revokes it, by keyboard, in English at 360 px', async () => {
    const { page, watched } = await open('en');
    expect(await page.textContent('#resident-consents-title')).toBe('My consents');
    expect(await page.getAttribute('[data-consents-state]', 'data-consents-state')).toBe('none');

    await page.selectOption('#consent-department', 'civil_affairs');
    await page.selectOption('#consent-record-type', 'household_registration');
    // A purpose that is not a code is refused in the page, and focused.
    await page.fill('#consent-purpose', 'Marriage!');
    await page.focus('#consent-purpose');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#consent-purpose', 'aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('consent-purpose');

    await page.fill('#consent-purpose', 'marriage_registration');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-consents-state="shown"]', { timeout: 15_000 });
    const item = page.locator('.resident-consent[data-purpose="marriage_registration"]');
    expect(await item.getAttribute('data-status')).toBe('active');
    expect(await page.textContent('.resident-consents [role="status"]')).toBe(
      'The consent is in force.',
    );
    expect(await item.locator('.badge').textContent()).toBe('Active');
    const consentId = (await item.getAttribute('data-consent-id')) ?? '';

    await page.screenshot({
      path: join(SCREENSHOTS, 'resident-consents-en-360.png'),
      fullPage: true,
    });
    expect(await seriousViolations(page, axe)).toEqual([]);

    // Revoke with the keyboard: focus the button, press Enter.
    await item.getByRole('button', { name: 'Revoke this consent' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(
      `.resident-consent[data-consent-id="${consentId}"][data-status="revoked"]`,
      { timeout: 15_000 },
    );
    expect(await page.textContent('.resident-consents [role="status"]')).toBe(
      'The consent was revoked.',
    );
    expect(
      await page
        .locator(`.resident-consent[data-consent-id="${consentId}"]`)
        .getByRole('button')
        .count(),
    ).toBe(0);

    // Each change carried the device's token and a proof.
    expect(watched.writes.filter((w) => w.path.startsWith('/api/records/v1/consents'))).toEqual([
      { method: 'POST', path: '/api/records/v1/consents', dpop: true, auth: 'DPoP' },
      {
        method: 'DELETE',
        path: `/api/records/v1/consents/${consentId}`,
        dpop: true,
        auth: 'DPoP',
      },
    ]);
    // Without the device, the consents cannot be read.
    const anonymous = await createRecordsClient({ baseUrl: system.urls.records }).GET(
      '/v1/consents',
    );
    expect(anonymous.response.status).toBe(401);

    expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
    expect(await seriousViolations(page, axe)).toEqual([]);
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await page.close();
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    for (const viewport of [
      { name: 'desktop', width: 1280, height: 800 },
      { name: 'phone', width: 360, height: 740 },
    ]) {
      it(`shows the application form, the new case and the consents in ${locale} at ${viewport.width} px, accessibly`, async () => {
        const { page, watched } = await open(locale);
        await page.setViewportSize({ width: viewport.width, height: viewport.height });
        const zh = locale === 'zh-CN';
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await page.textContent('#resident-apply-title')).toBe(
          zh ? '申请办事' : 'Apply for a service',
        );
        expect(await page.textContent('#resident-consents-title')).toBe(
          zh ? '我的授权' : 'My consents',
        );
        expect(
          await page.locator(`article.resident-case[data-case="${applied?.number}"]`).count(),
        ).toBe(1);
        expect(
          await page.locator('.resident-consent[data-status="revoked"] .badge').textContent(),
        ).toBe(zh ? '已撤销' : 'Revoked');
        await page.selectOption('#resident-apply-service', 'marriage_registration');
        await page.waitForSelector(
          'form.resident-application[data-service="marriage_registration"]',
        );
        // Every field has its label.
        const unlabelled = await page.evaluate(() =>
          [...document.querySelectorAll('main input, main select, main textarea')]
            .filter((el) => (el as HTMLInputElement).labels?.length === 0)
            .map((el) => el.id),
        );
        expect(unlabelled).toEqual([]);
        expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `resident-apply-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await page.close();
      });
    }
  }
});
