import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createIdentityClient, createWorkflowClient, type WorkflowPaths } from '@tongban/clients';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, launchChromium, seriousViolations } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 360, height: 740 },
] as const;
const LOCALES = ['zh-CN', 'en'] as const;
const OFFICER = 'market-regulation.officer';
const HOSTILE = 'Licence details checked. <img src=x onerror=alert(1)>';

type QueueItem =
  WorkflowPaths['/v1/departments/{code}/tasks']['get']['responses'][200]['content']['application/json']['items'][number];

interface Watched {
  readonly problems: string[];
  readonly dialogs: string[];
}

/** Console errors, page errors, CSP violations and any dialog (alert, confirm) the page opens. */
async function watch(page: Page): Promise<Watched> {
  const watched: Watched = { problems: [], dialogs: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /content security policy/i.test(msg.text())) {
      watched.problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => watched.problems.push(`pageerror: ${err.message}`));
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
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

async function overflow(page: Page): Promise<number> {
  return page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
}

/** The page's own rule, restated: overdue once the deadline passed, due soon within two days. */
function expectedSla(item: QueueItem, now: number): string {
  if (item.overdue) return 'overdue';
  if (item.paused) return 'paused';
  const left = Date.parse(item.dueAt ?? '') - now;
  if (left <= 0) return 'overdue';
  return left <= 2 * 86_400_000 ? 'due_soon' : 'on_time';
}

const SLA_WORDS: Record<string, { 'zh-CN': string; en: string }> = {
  on_time: { 'zh-CN': '按期', en: 'On time' },
  due_soon: { 'zh-CN': '即将到期', en: 'Due soon' },
  overdue: { 'zh-CN': '已逾期', en: 'Overdue' },
  paused: { 'zh-CN': '暂停计时', en: 'Clock stopped' },
};

async function signIn(page: Page, portal: string, password: string): Promise<void> {
  await page.goto(`${portal}/department`);
  await page.waitForSelector('#staff-username');
  await page.fill('#staff-username', OFFICER);
  await page.fill('#staff-password', password);
  await page.press('#staff-password', 'Enter');
  await page.waitForSelector('.queue[data-state="loaded"]', { timeout: 15_000 });
}

describe('department page in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let password: string;
  let axe: string;
  let openTasks: QueueItem[];
  let restaurant: { caseId: string; licenceTask: QueueItem; permitTask: QueueItem };

  const staffToken = async (username: string) => {
    const login = await createIdentityClient({ baseUrl: system.urls.identity }).POST(
      '/v1/auth/login',
      { body: { username, password } },
    );
    if (!login.data) throw new Error(`${username} login: ${login.response.status}`);
    return login.data.accessToken;
  };

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    axe = await axeSource();
    const workflow = createWorkflowClient({
      baseUrl: system.urls.workflow,
      token: await staffToken(OFFICER),
    });
    const queue = await workflow.GET('/v1/departments/{code}/tasks', {
      params: { path: { code: 'market_regulation' }, query: { view: 'open', limit: 100 } },
    });
    openTasks = queue.data?.items ?? [];
    const licenceTask = openTasks.find(
      (t) => t.case.service.code === 'open_restaurant' && t.step === 'business_licence',
    );
    const permitTask = openTasks.find(
      (t) => t.case.service.code === 'open_restaurant' && t.step === 'food_permit',
    );
    if (!licenceTask || !permitTask) throw new Error('no seeded restaurant tasks');
    restaurant = { caseId: licenceTask.case.id, licenceTask, permitTask };
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  for (const locale of LOCALES) {
    for (const viewport of VIEWPORTS) {
      it(`signs in and shows the queue with SLA states in words in ${locale} at ${viewport.width} px, accessibly`, async () => {
        const context = await browser.newContext({
          locale,
          viewport: { width: viewport.width, height: viewport.height },
        });
        const page = await context.newPage();
        const watched = await watch(page);
        await page.goto(`${system.urls.portal}/department`);
        await page.waitForSelector('#staff-username');
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `department-sign-in-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        await signIn(page, system.urls.portal, password);
        const now = Date.now();

        const zh = locale === 'zh-CN';
        expect(await page.textContent('h1')).toBe(zh ? '部门工作台' : 'Department queue');
        expect(await page.getAttribute('.queue-views a[aria-current="page"]', 'data-view')).toBe(
          'open',
        );
        const rows = await page.$$eval('.queue-item', (items) =>
          items.map((li) => ({
            task: li.getAttribute('data-task'),
            number: li.querySelector('[data-field="number"]')?.textContent,
            step: li.querySelector('[data-field="step"]')?.textContent,
            sla: li.querySelector('.sla-badge')?.getAttribute('data-sla'),
            label: li.querySelector('.sla-badge')?.textContent,
            due: li.querySelector('[data-field="due"]')?.textContent,
          })),
        );
        expect(rows.map((r) => r.task)).toEqual(openTasks.map((t) => t.id));
        for (const [i, item] of openTasks.entries()) {
          const sla = expectedSla(item, now);
          expect(rows[i]).toMatchObject({
            number: item.case.number,
            step: zh ? item.name.zh : item.name.en,
            sla,
            label: SLA_WORDS[sla]?.[locale],
          });
          expect(rows[i]?.due).toMatch(
            zh ? /^\d{4}年\d{1,2}月\d{1,2}日（含）前$/ : /^by the end of \w{3} \d{1,2}, \d{4}$/,
          );
        }
        // The SLA badge is coloured by state, and the state is written out too.
        const colours = await page.$$eval('.sla-badge', (badges) =>
          badges.map((b) => getComputedStyle(b).backgroundColor),
        );
        expect(colours.every((c) => c !== 'rgba(0, 0, 0, 0)')).toBe(true);

        expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `department-queue-${locale}-${viewport.width}.png`),
          fullPage: true,
        });

        // Each view is a real link the keyboard reaches.
        await page.focus('.queue-views a[data-view="decided"]');
        await page.keyboard.press('Enter');
        await page.waitForSelector('.queue[data-view="decided"][data-state="loaded"]');
        expect(new URL(page.url()).search).toBe('?view=decided');
        expect(await page.getAttribute('.queue-views a[aria-current="page"]', 'data-view')).toBe(
          'decided',
        );

        // The case page, before anything is decided.
        await page.goto(`${system.urls.portal}/department?case=${restaurant.caseId}`);
        await page.waitForSelector('.case-body[data-state="loaded"]', { timeout: 15_000 });
        expect(await page.textContent('h1')).toContain(restaurant.licenceTask.case.number);
        expect(await overflow(page), 'the case page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `department-case-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await context.close();
      });
    }
  }

  it('opens the restaurant case, reads its records, and approves the licence step with a reason shown as text', async () => {
    const context = await browser.newContext({
      locale: 'en',
      viewport: { width: 1280, height: 800 },
    });
    const page = await context.newPage();
    const watched = await watch(page);
    await signIn(page, system.urls.portal, password);

    await page.click(`.queue-item[data-task="${restaurant.licenceTask.id}"] a`);
    await page.waitForSelector('.case-body[data-state="loaded"]', { timeout: 15_000 });
    expect(new URL(page.url()).search).toBe(`?case=${restaurant.caseId}`);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(await page.textContent('[data-form-field="businessName"]')).toBe('芳姐家常菜');
    expect(await page.textContent('[data-form-field="seats"]')).toBe('28');
    expect(await page.$$eval('.stage', (li) => li.map((l) => l.getAttribute('data-step')))).toEqual(
      ['business_licence', 'fire_inspection', 'food_permit', 'final_issuance'],
    );

    // The licence step reads nothing; the food permit step reads the business licence.
    const licence = '.stage[data-step="business_licence"]';
    const permit = '.stage[data-step="food_permit"]';
    expect(await page.textContent(`${licence} [data-reads="none"]`)).toBe(
      'This step reads no records.',
    );
    await page.click(`${permit} .read-records`);
    await page.waitForSelector(`${permit} .released[data-state="read"]`, { timeout: 15_000 });
    expect(await page.textContent(`${permit} [data-released="enterpriseName"]`)).toBe(
      '北京市东城区王芳便利店',
    );
    expect(await page.textContent(`${permit} .released-record h5`)).toBe('Business licence');

    // Someone else changes the case while it is open here: the decision meets 412.
    const fire = createWorkflowClient({
      baseUrl: system.urls.workflow,
      token: await staffToken('fire-safety.officer'),
    });
    const current = await fire.GET('/v1/cases/{id}', {
      params: { path: { id: restaurant.caseId } },
    });
    const fireTask = current.data?.tasks.find((t) => t.step === 'fire_inspection');
    const etag = current.response.headers.get('etag');
    if (!fireTask || !etag) throw new Error('no fire inspection task');
    const fireDecision = await fire.POST('/v1/cases/{id}/tasks/{taskId}/decision', {
      params: {
        path: { id: restaurant.caseId, taskId: fireTask.id },
        header: { 'if-match': etag },
      },
      body: { decision: 'approve', reason: 'Premises inspected; exits and extinguishers fine.' },
    });
    expect(fireDecision.response.status).toBe(200);

    // Keyboard only: the reason is required, then the decision goes out.
    await page.focus(`${licence} button[type="submit"]`);
    await page.keyboard.press('Enter');
    expect(await page.textContent(`${licence} .form-error`)).toBe('Choose a decision.');
    await page.check(`${licence} input[value="approve"]`);
    await page.click(`${licence} button[type="submit"]`);
    expect(await page.textContent(`${licence} .form-error`)).toBe('Give a reason.');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    await page.fill(`${licence} textarea`, HOSTILE);
    await page.click(`${licence} button[type="submit"]`);
    await page.waitForSelector('.notice[role="alert"]', { timeout: 15_000 });
    expect(await page.textContent('.notice[role="alert"]')).toContain(
      'This case changed after you opened it',
    );
    await page.waitForSelector('.case-body[data-state="loaded"]');
    // Reloaded: the fire inspection is approved now, and the typed reason is kept.
    expect(await page.getAttribute('.stage[data-step="fire_inspection"]', 'data-status')).toBe(
      'approved',
    );
    expect(await page.inputValue(`${licence} textarea`)).toBe(HOSTILE);
    expect(await page.isChecked(`${licence} input[value="approve"]`)).toBe(true);

    await page.click(`${licence} button[type="submit"]`);
    await page.waitForSelector('[data-notice="decided"]', { timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/department');
    expect(await page.textContent('[data-notice="decided"]')).toContain(
      `Sent: case ${restaurant.licenceTask.case.number}, step "Business licence registration": Approved.`,
    );
    await page.waitForSelector('.queue[data-state="loaded"]');
    expect(await page.$(`.queue-item[data-task="${restaurant.licenceTask.id}"]`)).toBeNull();

    await page.click('[data-notice="decided"] a');
    await page.waitForSelector('.case-body[data-state="loaded"]', { timeout: 15_000 });
    expect(await page.getAttribute(licence, 'data-status')).toBe('approved');
    expect(await page.textContent(`${licence} [data-field="reason"]`)).toBe(HOSTILE);
    expect(await page.$('main img')).toBeNull();
    expect(await page.$(`${licence} form`)).toBeNull();
    expect(watched.dialogs).toEqual([]);

    // Chromium logs the refused (412) decision as a failed load; nothing else may appear.
    const conflict =
      'console: Failed to load resource: the server responded with a status of 412 (Precondition Failed)';
    expect(watched.problems.filter((p) => p === conflict)).toHaveLength(1);
    const others = watched.problems.filter((p) => p !== conflict);
    expect(others, others.join('\n')).toEqual([]);
    await context.close();
  });
});
