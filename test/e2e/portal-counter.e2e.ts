import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { activate, nodeIo, presentationQr } from '@tongban/phone';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import QRCode from 'qrcode';
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
const ATTACK = '<img src=x onerror=alert(1)>';
const RESIDENT = '王芳';
const CLERK = 'market-regulation.clerk';

// The fake camera's only mode: a square frame wide enough for ≥5 px a module of any
// presentation QR (they stay under 110 modules with the quiet zone).
const FRAME = 720;

/**
 * One 4:2:0 frame (Chromium's fake camera refuses 4:4:4) holding `text` as a QR code, ECC M
 * as the phone draws it, black on white at whole pixels a module, centred.
 */
function qrY4m(text: string): Buffer {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor(FRAME / (size + 2 * quiet));
  if (scale < 5) throw new Error(`QR of ${size} modules does not fit ${FRAME} px at 5 px a module`);
  const offset = Math.floor((FRAME - size * scale) / 2);
  const y = Buffer.alloc(FRAME * FRAME, 235);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!qr.modules.get(row, col)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const start = (offset + row * scale + dy) * FRAME + offset + col * scale;
        y.fill(16, start, start + scale);
      }
    }
  }
  const chroma = Buffer.alloc((FRAME / 2) * (FRAME / 2) * 2, 128);
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${FRAME} H${FRAME} F1:1 Ip A1:1 C420jpeg\nFRAME\n`, 'ascii'),
    y,
    chroma,
  ]);
}

interface Watched {
  readonly problems: string[];
}

/** Console errors, page errors and CSP violations. */
async function watch(page: Page): Promise<Watched> {
  const watched: Watched = { problems: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /content security policy/i.test(msg.text())) {
      watched.problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => watched.problems.push(`pageerror: ${err.message}`));
  await page.exposeFunction('__reportCspViolation', (text: string) =>
    watched.problems.push(`csp: ${text}`),
  );
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __reportCspViolation(t: string): void })
        .__reportCspViolation;
      report(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
    // A script that ran from any text on the page would say so here.
    (window as unknown as { alert: (m: unknown) => void }).alert = (m) =>
      (window as unknown as { __reportCspViolation(t: string): void }).__reportCspViolation(
        `alert(${String(m)}) ran`,
      );
  });
  return watched;
}

/** Chromium logs each fetch answered with an error status; a refusal shown on purpose is one. */
const refusedFetch = (status: number) =>
  new RegExp(`^console: Failed to load resource: the server responded with a status of ${status} `);

describe('counter page in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let axe: string;
  let password: string;
  let camera: string;
  let device: string;
  let restaurantCase: string;

  /** A fresh presentation from 王芳's phone: the token, and the phone's PNG of its QR code. */
  async function presentation(): Promise<{ token: string; png: string }> {
    const png = join(system.dataDir, `presentation-${Date.now()}.png`);
    const { token } = await presentationQr({ devicePath: device, out: png }, nodeIo);
    return { token, png };
  }

  /** Points the fake camera at a fresh QR code (read again by the next getUserMedia). */
  async function showToCamera(token: string): Promise<void> {
    await writeFile(camera, qrY4m(token));
  }

  async function signedIn(
    locale: (typeof LOCALES)[number],
    viewport: { width: number; height: number } = VIEWPORTS[0],
  ): Promise<{ context: BrowserContext; page: Page; watched: Watched }> {
    const context = await browser.newContext({
      locale,
      viewport: { width: viewport.width, height: viewport.height },
      permissions: ['camera'],
    });
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/counter`);
    await page.fill('#staff-username', CLERK);
    await page.fill('#staff-password', password);
    await page.click('.staff-sign-in button[type="submit"]');
    await page.waitForSelector('#counter-name', { timeout: 15_000 });
    return { context, page, watched };
  }

  beforeAll(async () => {
    system = await startSystem();
    password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    // The phone activates with the code from 王芳's letter, as a resident's phone does.
    const credentials = await readFile(join(system.dataDir, 'demo', 'credentials.txt'), 'utf8');
    const code = new RegExp(`^resident ${RESIDENT} .* activation code (\\S+) `, 'm').exec(
      credentials,
    )?.[1];
    if (!code) throw new Error(`no activation code for ${RESIDENT} in credentials.txt`);
    device = join(system.dataDir, 'phone', 'device.json');
    await mkdir(join(system.dataDir, 'phone'), { recursive: true });
    await activate(
      {
        code,
        identityUrl: system.urls.identity,
        alg: 'ES256',
        devicePath: device,
        label: 'browser test phone',
        force: true,
      },
      nodeIo,
    );
    camera = join(system.dataDir, 'camera.y4m');
    await writeFile(camera, qrY4m('not yet'));
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ]);
    axe = await axeSource();
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  it('scans the QR code through the camera, shows the verified resident and their cases; the same code again is "already used"', async () => {
    const { context, page, watched } = await signedIn('en');
    // Typed by a person, shown as the characters typed: never an element, never a script.
    await page.fill('#counter-name', `${ATTACK} window 3`);

    const { token } = await presentation();
    await showToCamera(token);
    await page.click('#scan-start');
    await page.waitForSelector('#counter-result[data-state="verified"]', { timeout: 20_000 });
    expect(await page.textContent('.counter-verified h2')).toBe('Resident verified');
    expect(await page.textContent('[data-attribute="fullName"]')).toBe(RESIDENT);
    expect(await page.textContent('[data-field="counter"]')).toBe(`${ATTACK} window 3`);
    expect(await page.$('main img')).toBeNull();
    const verificationId = await page.textContent('[data-field="verification-id"]');
    expect(verificationId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(await page.textContent('[data-field="verified-at"]')).toMatch(/\d{2}:\d{2}/);
    // The camera is let go once the code is read.
    expect(await page.isHidden('.counter-video')).toBe(true);

    // The resident's cases, through that verification: the seeded restaurant application.
    await page.waitForSelector('#resident-cases[data-state="loaded"]', { timeout: 15_000 });
    const cases = await page.$$eval('.counter-case', (items) =>
      items.map((li) => ({
        service: li.querySelector('h3')?.textContent,
        number: li.querySelector('[data-field="number"]')?.textContent,
        status: li.querySelector('.badge')?.textContent,
        tasks: [...li.querySelectorAll('.counter-tasks li')].map((t) => ({
          status: t.getAttribute('data-status'),
          due: t.querySelector('.task-due')?.textContent ?? null,
        })),
      })),
    );
    const restaurant = cases.find((c) => c.service === 'Opening a restaurant');
    expect(restaurant?.status).toBe('In progress');
    expect(restaurant?.number).toMatch(/^TB\d{4}-\d{6}$/);
    restaurantCase = restaurant?.number ?? '';
    expect(restaurant?.tasks.map((t) => t.status)).toEqual(['open', 'open', 'open', 'waiting']);
    for (const task of restaurant?.tasks.filter((t) => t.status === 'open') ?? []) {
      expect(task.due).toMatch(/Due: by the end of \w{3} \d{1,2}, \d{4}/);
    }

    // The same picture again: identity refuses the replay, the page says so plainly.
    await page.click('#scan-start');
    await page.waitForSelector('#counter-result[data-code="presentation_replayed"]', {
      timeout: 20_000,
    });
    expect(await page.textContent('[data-field="reason"]')).toContain(
      'This QR code has already been used',
    );
    // The resident's cases went with the verification shown before.
    expect(await page.$('#resident-cases')).toBeNull();

    // Pasted text that is no presentation at all.
    await page.fill('#scan-paste', `${ATTACK}.x.y`);
    await page.click('.counter-paste button[type="submit"]');
    await page.waitForSelector('#counter-result[data-code="malformed_token"]');
    expect(await page.textContent('[data-field="reason"]')).toBe(
      'This is not a Tongban ID QR code.',
    );
    expect(await page.$('main img')).toBeNull();

    const unexpected = watched.problems.filter(
      (p) => !refusedFetch(409).test(p) && !refusedFetch(400).test(p),
    );
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    expect(watched.problems.filter((p) => refusedFetch(409).test(p))).toHaveLength(1);
    await context.close();
  });

  it('verifies from an uploaded photo of the QR code, applies for a restaurant licence and shows the case number and receipt', async () => {
    const { context, page, watched } = await signedIn('en', VIEWPORTS[1]);
    await page.fill('#counter-name', 'window 5');
    const { png } = await presentation();
    await page.setInputFiles('#scan-upload', png);
    await page.waitForSelector('#counter-result[data-state="verified"]', { timeout: 15_000 });
    expect(await page.textContent('[data-attribute="fullName"]')).toBe(RESIDENT);

    await page.waitForSelector('#apply-service option[value="open_restaurant"]', {
      state: 'attached',
    });
    await page.selectOption('#apply-service', 'open_restaurant');
    await page.waitForSelector('form.counter-application[data-service="open_restaurant"]');
    expect(await page.textContent('label[for="apply-businessName"]')).toContain('Business name');
    expect(await page.getAttribute('#apply-seats', 'type')).toBe('number');
    expect(await page.getAttribute('#apply-openingDate', 'type')).toBe('date');
    expect(await page.getAttribute('#apply-seats', 'required')).toBe('');
    expect(await page.getAttribute('#apply-cuisine', 'required')).toBeNull();

    // A required field left empty is marked, and nothing is sent.
    await page.click('form.counter-application button[type="submit"]');
    expect(await page.getAttribute('#apply-businessName', 'aria-invalid')).toBe('true');

    await page.fill('#apply-businessName', `${ATTACK} 小馆`);
    await page.fill('#apply-premisesAddress', '北京市东城区交道口南大街 60 号');
    await page.fill('#apply-floorAreaSqm', '48.5');
    await page.fill('#apply-seats', '20');
    await page.fill('#apply-legalRepresentative', RESIDENT);
    await page.fill('#apply-openingDate', '2026-09-01');
    await page.click('form.counter-application button[type="submit"]');
    await page.waitForSelector('[data-field="applied-number"]', { timeout: 20_000 });
    const number = await page.textContent('[data-field="applied-number"]');
    expect(number).toMatch(/^TB\d{4}-\d{6}$/);
    expect(number).not.toBe(restaurantCase);
    expect(await page.textContent('[data-field="applied-tracking"]')).toMatch(
      /^[0-9A-HJKMNP-TV-Z]{20}$/,
    );
    // The new case joins the resident's list.
    await page.waitForSelector(`.counter-case[data-case="${number}"]`, { timeout: 15_000 });

    // The receipt, fetched with the clerk's token and shown from a blob: URL.
    await page.click('.counter-applied button');
    await page.waitForSelector('.receipt-image');
    await page.waitForFunction(
      () => (document.querySelector('.receipt-image') as HTMLImageElement | null)?.naturalWidth,
    );
    expect(await page.getAttribute('.receipt-image', 'src')).toMatch(/^blob:/);
    expect(await page.getAttribute('.receipt-image', 'alt')).toBe(`Receipt for case ${number}`);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0);
    await page.screenshot({
      path: join(SCREENSHOTS, 'counter-applied-en-360.png'),
      fullPage: true,
    });
    expect(
      watched.problems.filter((p) => !refusedFetch(400).test(p)),
      watched.problems.join('\n'),
    ).toEqual([]);
    await context.close();
  });

  it('verifies a resident without a smartphone from their ID card, with the same access to their cases', async () => {
    const { context, page, watched } = await signedIn('zh-CN');
    await page.fill('#counter-name', '3 号窗口');
    const resident = city.residents.find((r) => r.fullName === RESIDENT);
    if (!resident) throw new Error(`no ${RESIDENT} in the demo city`);
    await page.selectOption('#in-person-type', 'resident_id_card');
    await page.fill('#in-person-number', withCheckDigit(resident.idBody));
    await page.click('.counter-in-person button[type="submit"]');
    await page.waitForSelector('#counter-result[data-state="verified"]', { timeout: 15_000 });
    expect(await page.textContent('.counter-verified')).toContain('现场查验证件');
    expect(await page.textContent('[data-field="counter"]')).toBe('3 号窗口');
    await page.waitForSelector('#resident-cases[data-state="loaded"]', { timeout: 15_000 });
    expect(await page.textContent('#resident-cases')).toContain('开餐馆一件事');

    // A number no resident holds.
    await page.fill('#in-person-number', withCheckDigit('11010119000101001'));
    await page.click('.counter-in-person button[type="submit"]');
    await page.waitForSelector('#counter-result[data-code="not_found"]', { timeout: 15_000 });
    expect(await page.textContent('[data-field="reason"]')).toContain('没有找到持此证件的居民');
    const unexpected = watched.problems.filter((p) => !refusedFetch(404).test(p));
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    await context.close();
  });

  for (const locale of LOCALES) {
    for (const viewport of VIEWPORTS) {
      it(`is accessible in ${locale} at ${viewport.width} px, signed out and with a verified resident`, async () => {
        const context = await browser.newContext({
          locale,
          viewport: { width: viewport.width, height: viewport.height },
        });
        const page = await context.newPage();
        const watched = await watch(page);
        const zh = locale === 'zh-CN';
        await page.goto(`${system.urls.portal}/counter`);
        await page.waitForSelector('.staff-sign-in');
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await page.textContent('h1')).toBe(zh ? '窗口受理' : 'Counter');
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `counter-sign-in-${locale}-${viewport.width}.png`),
        });

        await page.fill('#staff-username', CLERK);
        await page.fill('#staff-password', password);
        await page.click('.staff-sign-in button[type="submit"]');
        await page.waitForSelector('#counter-name');
        await page.fill('#counter-name', ATTACK);
        const { token } = await presentation();
        await page.fill('#scan-paste', token);
        await page.keyboard.press('Tab');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#counter-result[data-state="verified"]', { timeout: 15_000 });
        await page.waitForSelector('#resident-cases[data-state="loaded"]', { timeout: 15_000 });
        await page.waitForSelector('#apply-service option[value="open_restaurant"]', {
          state: 'attached',
        });
        await page.selectOption('#apply-service', 'open_restaurant');
        await page.waitForSelector('form.counter-application');
        expect(await page.textContent('.counter-verified h2')).toBe(
          zh ? '身份已核验' : 'Resident verified',
        );
        expect(await page.$('main img')).toBeNull();

        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `counter-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await context.close();
      });
    }
  }
});
