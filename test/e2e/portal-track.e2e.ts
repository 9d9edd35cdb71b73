import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createIdentityClient, createWorkflowClient } from '@tongban/clients';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as city from '../../scripts/seed/demo-city.js';
import { withCheckDigit } from '../../scripts/seed/seed.js';
import { axeSource, launchChromium, seriousViolations } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 360, height: 740 },
] as const;
const LOCALES = ['zh-CN', 'en'] as const;

interface Tracking {
  service: { code: string; name: { zh: string; en: string } };
  number: string;
  status: string;
  submittedAt: string;
  dueAt: string | null;
  completedAt: string | null;
  stages: { name: { zh: string; en: string }; department: string; status: string }[];
}

/** Hour and minute of an instant in the city, as any locale's 24-hour clock writes it. */
const cityTime = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

/** The tracking code of 王芳's seeded restaurant case, found as a counter clerk would. */
async function seededTrackingCode(system: RunningSystem): Promise<string> {
  const password = (
    await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
  ).trim();
  const identity = createIdentityClient({ baseUrl: system.urls.identity });
  const login = await identity.POST('/v1/auth/login', {
    body: { username: 'market-regulation.clerk', password },
  });
  if (!login.data) throw new Error(`clerk login: ${login.response.status}`);
  const token = login.data.accessToken;
  const resident = city.residents.find((r) => r.fullName === '王芳');
  if (!resident) throw new Error('no 王芳 in the demo city');
  const check = await createIdentityClient({ baseUrl: system.urls.identity, token }).POST(
    '/v1/verifications/in-person',
    {
      body: {
        idDocumentType: 'resident_id_card',
        idNumber: withCheckDigit(resident.idBody),
        counter: 'browser test',
      },
    },
  );
  if (!check.data) throw new Error(`ID-card check: ${check.response.status}`);
  const cases = await createWorkflowClient({ baseUrl: system.urls.workflow, token }).GET(
    '/v1/cases',
    {
      params: {
        query: {
          subjectId: check.data.subjectId,
          verificationId: check.data.verificationId,
          limit: 100,
        },
      },
    },
  );
  const restaurant = cases.data?.items.find((c) => c.service.code === 'open_restaurant');
  if (!restaurant) throw new Error(`no seeded restaurant case: ${cases.response.status}`);
  return restaurant.trackingCode;
}

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

describe('public tracking page in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let code: string;
  let tracking: Tracking;
  let axe: string;

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    code = await seededTrackingCode(system);
    const res = await fetch(`${system.urls.workflow}/v1/track/${code}`);
    tracking = (await res.json()) as Tracking;
    axe = await axeSource();
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  for (const locale of LOCALES) {
    for (const viewport of VIEWPORTS) {
      it(`shows the case and each stage in ${locale} at ${viewport.width} px, accessibly, with nothing personal`, async () => {
        const context = await browser.newContext({
          locale,
          viewport: { width: viewport.width, height: viewport.height },
        });
        const page = await context.newPage();
        const watched = await watch(page);
        await page.goto(`${system.urls.portal}/track/${code}`);
        await page.waitForSelector('[data-track-state="found"]', { timeout: 15_000 });

        const zh = locale === 'zh-CN';
        const pick = (name: { zh: string; en: string }) => (zh ? name.zh : name.en);
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await page.textContent('h1')).toBe(zh ? '办件进度' : 'Case progress');
        expect(await page.title()).toContain('通办');
        expect(await page.textContent('[data-field="service"]')).toBe(pick(tracking.service.name));
        expect(await page.textContent('[data-field="number"]')).toBe(tracking.number);
        expect(tracking.status).toBe('in_progress');
        expect(await page.textContent('.case .badge')).toBe(zh ? '办理中' : 'In progress');
        expect(await page.textContent('[data-field="submitted"]')).toContain(
          cityTime(tracking.submittedAt),
        );
        expect(await page.textContent('[data-field="due"]')).toMatch(
          zh ? /^\d{4}年\d{1,2}月\d{1,2}日（含）前$/ : /^by the end of \w{3} \d{1,2}, \d{4}$/,
        );

        const stages = await page.$$eval('.stage', (items) =>
          items.map((li) => ({
            status: li.getAttribute('data-status'),
            name: li.querySelector('h3')?.textContent,
            label: li.querySelector('.badge')?.textContent,
            department: li.querySelector('[data-field="department"]')?.textContent,
          })),
        );
        expect(stages).toEqual(
          tracking.stages.map((s) => {
            const department = city.departments.find((d) => d.code === s.department);
            return {
              status: s.status,
              name: pick(s.name),
              label: {
                open: zh ? '办理中' : 'In progress',
                waiting: zh ? '等待前序环节' : 'Waiting for earlier stages',
              }[s.status],
              department: department ? pick(department.name) : s.department,
            };
          }),
        );
        expect(stages.map((s) => s.status)).toEqual(['open', 'open', 'open', 'waiting']);

        const text = (await page.textContent('body')) ?? '';
        for (const personal of ['王芳', '芳姐家常菜', '交道口', 'subjectId']) {
          expect(text).not.toContain(personal);
        }
        // Only the public tracking route and the department directory are asked for.
        const api = watched.requests.filter((u) => u.includes('/api/'));
        expect(api.map((u) => new URL(u).pathname).sort()).toEqual([
          '/api/identity/v1/departments',
          `/api/workflow/v1/track/${code}`,
        ]);

        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `track-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await context.close();
      });
    }
  }

  it('switches language with the button, remembers it, and keeps the keyboard on the switch', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/track/${code}`);
    await page.waitForSelector('[data-track-state="found"]', { timeout: 15_000 });
    expect(await page.textContent('.locale-switch')).toBe('English');
    await page.focus('.locale-switch');
    await page.keyboard.press('Enter');
    await page.waitForSelector('html[lang="en"]');
    expect(await page.textContent('h1')).toBe('Case progress');
    expect(await page.textContent('[data-field="service"]')).toBe(tracking.service.name.en);
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('locale-switch');
    await page.reload();
    await page.waitForSelector('[data-track-state="found"]', { timeout: 15_000 });
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('.locale-switch')).toBe('中文');
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await context.close();
  });

  it('says plainly when a code is unknown or malformed, in both languages', async () => {
    for (const locale of LOCALES) {
      const context = await browser.newContext({ locale, viewport: { width: 360, height: 740 } });
      const page = await context.newPage();
      const watched = await watch(page);
      const zh = locale === 'zh-CN';

      // Well-formed but no case has it: workflow answers 404, the page says so.
      await page.goto(`${system.urls.portal}/track/00000000000000000000`);
      await page.waitForSelector('[data-track-state="not_found"]', { timeout: 15_000 });
      expect(await page.textContent('.notice')).toContain(
        zh ? '没有找到与此查询码对应的办件' : 'No case has this tracking code',
      );
      expect(await seriousViolations(page, axe)).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOTS, `track-unknown-${locale}-360.png`) });

      // Not a code at all: the page does not even ask.
      const before = watched.requests.length;
      await page.goto(`${system.urls.portal}/track/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`);
      await page.waitForSelector('[data-track-state="malformed"]', { timeout: 15_000 });
      expect(await page.textContent('.notice')).toContain(
        zh ? '这不是有效的查询码' : 'This is not a valid tracking code',
      );
      expect(await page.$('main img')).toBeNull();
      expect(watched.requests.slice(before).filter((u) => u.includes('/v1/track/'))).toEqual([]);
      // Chromium logs every fetch answered 404, the unknown code's included; nothing else.
      const notFound =
        'console: Failed to load resource: the server responded with a status of 404 (Not Found)';
      expect(watched.problems.filter((p) => p === notFound)).toHaveLength(1);
      const others = watched.problems.filter((p) => p !== notFound);
      expect(others, others.join('\n')).toEqual([]);
      await context.close();
    }
  });

  it('opens the tracking page from the code typed on the home page', async () => {
    const context = await browser.newContext({
      locale: 'en',
      viewport: { width: 360, height: 740 },
    });
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(system.urls.portal);
    for (const name of ['identity', 'workflow', 'records']) {
      await page.waitForSelector(`tr[data-service="${name}"][data-state="ready"]`, {
        timeout: 15_000,
      });
    }
    expect(await seriousViolations(page, axe)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'home-en-360.png'), fullPage: true });
    // Lower case with a space, as read off paper: still the code.
    await page.fill('#track-code', `${code.slice(0, 10).toLowerCase()} ${code.slice(10)}`);
    await page.click('#track button[type="submit"]');
    await page.waitForSelector('[data-track-state="found"]', { timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe(`/track/${code}`);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await context.close();
  });
});
