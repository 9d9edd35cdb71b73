import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createIdentityClient, createRecordsClient } from '@tongban/clients';
import jsqr from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../scripts/seed/seed.js';
import { launchChromium } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
// public_security's clerk enrols residents and, as any counter clerk, opens cases for them.
const CLERK = 'public-security.clerk';
const RESIDENT = '周凯';
/** A valid GB 11643 number no seeded resident (nor the enrolment test) holds. */
const ID_NUMBER = withCheckDigit('11010119860214777');

// The fake camera's only mode: square, ≥5 px a module for any presentation QR.
const FRAME = 720;

/** One 4:2:0 frame (Chromium's fake camera refuses 4:4:4) holding `text` as a QR code, ECC M. */
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
  });
  return watched;
}

/** Chromium logs each fetch answered with an error status; a refusal shown on purpose is one. */
const refusedFetch = (status: number) =>
  new RegExp(`^console: Failed to load resource: the server responded with a status of ${status} `);

/** The text of the QR code in `selector`'s canvas, read from a screenshot as a camera would. */
async function readQr(page: Page, selector: string): Promise<string> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  // jsqr is CommonJS whose types describe an ES default export (see packages/tokens).
  const code = jsqr.default(pixels, png.width, png.height);
  if (code === null) throw new Error('no QR code found in the screenshot');
  return code.data;
}

const COUNTER_NAME = '<img src=x onerror=alert(1)> window 2';

describe('one resident, counter to approval, in real pages', () => {
  let system: RunningSystem;
  let browser: Browser;
  let password: string;
  let camera: string;

  const signIn = async (page: Page, path: string, username: string, ready: string) => {
    await page.goto(`${system.urls.portal}${path}`);
    await page.fill('#staff-username', username);
    await page.fill('#staff-password', password);
    await page.click('.staff-sign-in button[type="submit"]');
    await page.waitForSelector(ready, { timeout: 15_000 });
  };

  beforeAll(async () => {
    system = await startSystem();
    password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    camera = join(system.dataDir, 'camera.y4m');
    await writeFile(camera, qrY4m('not yet'));
    // The clerk's browser has the fake camera; the resident's context in it never asks for one.
    browser = await launchChromium([
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${camera}`,
    ]);
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  it('enrols a resident, who activates the resident page and shows its QR to the counter camera; the clerk applies, departments approve, and the resident sees the case approved and who read their data; an expired QR is refused', {
    timeout: 240_000,
  }, async () => {
    // The counter: a clerk enrols a new resident and hands over the activation letter.
    const clerkContext = await browser.newContext({
      locale: 'en',
      viewport: { width: 1280, height: 800 },
      permissions: ['camera'],
    });
    const counter = await clerkContext.newPage();
    const counterWatched = await watch(counter);
    await signIn(counter, '/counter', CLERK, '#enrol-name');
    // Markup in the counter name must reach every page that shows it as plain text.
    await counter.fill('#counter-name', COUNTER_NAME);
    await counter.fill('#enrol-name', RESIDENT);
    await counter.fill('#enrol-birth-date', '1986-02-14');
    await counter.fill('#enrol-phone', '13800000777');
    await counter.selectOption('#enrol-document-type', 'resident_id_card');
    await counter.fill('#enrol-document-number', ID_NUMBER);
    await counter.click('.counter-enrol-form button[type="submit"]');
    await counter.waitForSelector('#enrol-letter', { timeout: 15_000 });
    const subjectId =
      (await counter.textContent('#enrol-letter [data-field="activation-subject"]')) ?? '';
    const code = (await counter.textContent('#enrol-letter [data-field="activation-code"]')) ?? '';
    expect(subjectId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(code.length).toBeGreaterThanOrEqual(8);

    // Market regulation already licensed the resident's business: the restaurant case pulls it.
    const officerLogin = await createIdentityClient({ baseUrl: system.urls.identity }).POST(
      '/v1/auth/login',
      { body: { username: 'market-regulation.officer', password } },
    );
    if (!officerLogin.data) throw new Error(`officer login: ${officerLogin.response.status}`);
    const licence = await createRecordsClient({
      baseUrl: system.urls.records,
      token: officerLogin.data.accessToken,
    }).POST('/v1/records', {
      body: {
        type: 'business_licence',
        subjectId,
        data: {
          unifiedSocialCreditCode: '92110101MA01WXY123',
          enterpriseName: '北京市东城区周凯小吃店',
          enterpriseType: 'individual_business',
          legalRepresentative: RESIDENT,
          businessScope: '餐饮服务',
          address: '北京市东城区交道口南大街 61 号',
          establishedOn: '2026-01-05',
        },
      },
    });
    expect(licence.response.status).toBe(201);

    // A second browser profile: the resident's phone activates with the code on the letter.
    const residentContext = await browser.newContext({
      locale: 'zh-CN',
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 2,
    });
    const phone = await residentContext.newPage();
    const phoneWatched = await watch(phone);
    await phone.goto(`${system.urls.portal}/resident`);
    await phone.waitForSelector('[data-resident-state="activate"]', { timeout: 15_000 });
    await phone.fill('#activation-code', code);
    await phone.keyboard.press('Enter');
    await phone.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    const token = await readQr(phone, 'canvas[data-field="qr"]');

    // Shown to the counter's camera: the verified card.
    await writeFile(camera, qrY4m(token));
    await counter.click('#scan-start');
    await counter.waitForSelector('#counter-result[data-state="verified"]', {
      timeout: 20_000,
    });
    expect(await counter.textContent('[data-attribute="fullName"]')).toBe(RESIDENT);
    expect(await counter.textContent('[data-field="counter"]')).toBe(COUNTER_NAME);
    await counter.waitForSelector('#resident-cases[data-state="loaded"]', { timeout: 15_000 });

    // The clerk applies for the restaurant through the page's form.
    await counter.waitForSelector('#apply-service option[value="open_restaurant"]', {
      state: 'attached',
    });
    await counter.selectOption('#apply-service', 'open_restaurant');
    await counter.waitForSelector('form.counter-application[data-service="open_restaurant"]');
    await counter.fill('#apply-businessName', '周记小馆');
    await counter.fill('#apply-premisesAddress', '北京市东城区交道口南大街 61 号');
    await counter.fill('#apply-floorAreaSqm', '36');
    await counter.fill('#apply-seats', '16');
    await counter.fill('#apply-legalRepresentative', RESIDENT);
    await counter.click('form.counter-application button[type="submit"]');
    await counter.waitForSelector('[data-field="applied-number"]', { timeout: 20_000 });
    const number = (await counter.textContent('[data-field="applied-number"]')) ?? '';
    expect(number).toMatch(/^TB\d{4}-\d{6}$/);
    await counter.waitForSelector(`.counter-case[data-case="${number}"]`, { timeout: 15_000 });

    // The resident's page lists the new case; a fresh QR code, not shown to anyone yet.
    await phone.reload();
    await phone.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
    await phone.waitForSelector('[data-qr-state="shown"]', { timeout: 15_000 });
    const article = phone.locator(`article.resident-case[data-case="${number}"]`);
    expect(await article.getAttribute('data-status')).toBe('in_progress');
    const caseId = (await article.getAttribute('data-case-id')) ?? '';
    const laterToken = await readQr(phone, 'canvas[data-field="qr"]');
    const laterExpires = Date.parse(
      (await phone.getAttribute('canvas[data-field="qr"]', 'data-expires-at')) ?? '',
    );
    expect(laterToken).not.toBe(token);

    // Each department approves its steps on its own page, through the decision form.
    const approve = async (username: string, steps: readonly string[]) => {
      const context = await browser.newContext({
        locale: 'en',
        viewport: { width: 1280, height: 800 },
      });
      const page = await context.newPage();
      const watched = await watch(page);
      await signIn(page, '/department', username, '.queue[data-state="loaded"]');
      for (const step of steps) {
        await page.goto(`${system.urls.portal}/department?case=${caseId}`);
        await page.waitForSelector('.case-body[data-state="loaded"]', { timeout: 15_000 });
        const stage = `.stage[data-step="${step}"]`;
        expect(await page.getAttribute(stage, 'data-status')).toBe('open');
        await page.check(`${stage} input[value="approve"]`);
        await page.fill(`${stage} textarea`, `Checked for ${step}; approved.`);
        await page.click(`${stage} button[type="submit"]`);
        await page.waitForSelector('[data-notice="decided"]', { timeout: 15_000 });
        expect(await page.textContent('[data-notice="decided"]')).toContain(number);
      }
      expect(watched.problems, watched.problems.join('\n')).toEqual([]);
      await context.close();
    };
    await approve('market-regulation.officer', ['business_licence', 'food_permit']);
    await approve('fire-safety.officer', ['fire_inspection']);
    // Issuance opens once all three are approved.
    await approve('market-regulation.officer', ['final_issuance']);

    // The resident's page: approved, and the records pulled for the case listed, verified.
    const caseRead = `case:${caseId}`;
    let pulls: { status: string | null; purpose: string }[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      await phone.reload();
      await phone.waitForSelector('[data-cases-state="shown"]', { timeout: 15_000 });
      await phone.waitForSelector('[data-reads-state="verified"]', { timeout: 15_000 });
      pulls = (
        await phone.$$eval('.resident-reads li', (items) =>
          items.map((li) => ({
            status: li.getAttribute('data-entry-status'),
            purpose: li.textContent ?? '',
          })),
        )
      ).filter((p) => p.purpose.includes(caseRead));
      if (pulls.length > 0 && pulls.every((p) => p.status === 'verified')) break;
      await phone.waitForTimeout(1_000);
    }
    expect(await article.getAttribute('data-status')).toBe('approved');
    expect(pulls.length).toBeGreaterThan(0);
    expect(pulls.map((p) => p.status)).toEqual(pulls.map(() => 'verified'));
    expect(await phone.textContent('[data-field="verdict"]')).toMatch(/^已核验/);
    // "Who verified me" names the counter as the clerk typed it: as text, never as an element.
    await phone.waitForSelector('[data-verifications-state="shown"]', { timeout: 15_000 });
    expect(await phone.textContent('.resident-verifications')).toContain(COUNTER_NAME);
    expect(await phone.$$('.resident-verifications img')).toHaveLength(0);
    expect(await counter.textContent('#counter-result')).toContain(COUNTER_NAME);
    expect(await counter.$$('#counter-result img')).toHaveLength(0);
    await phone.screenshot({
      path: join(SCREENSHOTS, 'journey-resident-approved-zh-CN-360.png'),
      fullPage: true,
    });

    // The later QR code, shown to the camera once it has expired: refused as expired.
    const wait = laterExpires + 1_500 - Date.now();
    if (wait > 0) await counter.waitForTimeout(wait);
    await writeFile(camera, qrY4m(laterToken));
    await counter.click('#scan-start');
    await counter.waitForSelector('#counter-result[data-code="presentation_expired"]', {
      timeout: 20_000,
    });
    expect(await counter.textContent('[data-field="reason"]')).toContain('The QR code has expired');
    await counter.screenshot({
      path: join(SCREENSHOTS, 'journey-counter-expired-en.png'),
      fullPage: true,
    });

    // Identity answers the expired code 401, which Chromium logs; nothing else may appear.
    const counterUnexpected = counterWatched.problems.filter((p) => !refusedFetch(401).test(p));
    expect(counterUnexpected, counterUnexpected.join('\n')).toEqual([]);
    expect(counterWatched.problems.filter((p) => refusedFetch(401).test(p))).toHaveLength(1);
    expect(phoneWatched.problems, phoneWatched.problems.join('\n')).toEqual([]);
    await clerkContext.close();
    await residentContext.close();
  });
});
