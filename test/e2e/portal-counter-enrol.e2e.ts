import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { activate, nodeIo } from '@tongban/phone';
import jsqr from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
// public_security's clerk: counter_clerk (demo-city staffRoles), so allowed to enrol.
const CLERK = 'public-security.clerk';

/** A valid GB 11643 resident ID number no seeded resident holds (sequence 500–999). */
const idNumber = (sequence: number) =>
  withCheckDigit(`11010119850101${String(500 + sequence).padStart(3, '0')}`);

interface Watched {
  readonly problems: string[];
}

/** Console errors, page errors and CSP violations; window.print is recorded, not opened. */
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
    const win = window as unknown as {
      __reportCspViolation(t: string): void;
      __printed: number;
      alert: (m: unknown) => void;
    };
    document.addEventListener('securitypolicyviolation', (e) => {
      win.__reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
    win.alert = (m) => win.__reportCspViolation(`alert(${String(m)}) ran`);
    win.__printed = 0;
    window.print = () => {
      win.__printed++;
    };
  });
  return watched;
}

/** Chromium logs each fetch answered with an error status; a refusal shown on purpose is one. */
const refusedFetch = (status: number) =>
  new RegExp(`^console: Failed to load resource: the server responded with a status of ${status} `);

/** The text of the QR code drawn in `letter`'s canvas, read from a screenshot as a phone would. */
async function readQr(page: Page, letter: string): Promise<string> {
  const png = PNG.sync.read(
    await page.locator(`${letter} canvas[data-field="activation-qr"]`).screenshot(),
  );
  const pixels = new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length);
  // jsqr is CommonJS whose types describe an ES default export (see packages/tokens).
  const code = jsqr.default(pixels, png.width, png.height);
  if (code === null) throw new Error('no QR code found in the screenshot');
  return code.data;
}

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('counter page: enrolling residents and new activation codes', () => {
  let system: RunningSystem;
  let browser: Browser;
  let axe: string;
  let password: string;
  /** The resident enrolled by the first test: later tests give them new codes. */
  let enrolled: { subjectId: string; idNumber: string; code: string } | undefined;

  async function signedIn(
    locale: (typeof LOCALES)[number],
    viewport: { width: number; height: number } = VIEWPORTS[0],
    username = CLERK,
  ): Promise<{ context: BrowserContext; page: Page; watched: Watched }> {
    const context = await browser.newContext({
      locale,
      viewport: { width: viewport.width, height: viewport.height },
    });
    const page = await context.newPage();
    const watched = await watch(page);
    await page.goto(`${system.urls.portal}/counter`);
    await page.fill('#staff-username', username);
    await page.fill('#staff-password', password);
    await page.click('.staff-sign-in button[type="submit"]');
    await page.waitForSelector('#enrol-name', { timeout: 15_000 });
    return { context, page, watched };
  }

  async function fillEnrolment(
    page: Page,
    input: { fullName: string; birthDate: string; phone: string; number: string },
  ): Promise<void> {
    await page.fill('#enrol-name', input.fullName);
    await page.fill('#enrol-birth-date', input.birthDate);
    await page.fill('#enrol-phone', input.phone);
    await page.selectOption('#enrol-document-type', 'resident_id_card');
    await page.fill('#enrol-document-number', input.number);
  }

  /** Activates a phone with `code` through identity's API, as the resident's phone does. */
  const activateWith = (code: string, file: string) =>
    activate(
      {
        code,
        identityUrl: system.urls.identity,
        alg: 'ES256',
        devicePath: join(system.dataDir, 'phones', file),
        label: 'enrolled at the counter',
        force: true,
      },
      nodeIo,
    );

  beforeAll(async () => {
    system = await startSystem();
    password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    await mkdir(join(system.dataDir, 'phones'), { recursive: true });
    browser = await launchChromium();
    axe = await axeSource();
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  it('enrols a new resident: plain errors per field, the code and its QR on a printable letter, and the code activates a phone; the same ID again is "already enrolled"', async () => {
    const { context, page, watched } = await signedIn('en');
    const number = idNumber(1);

    // Nothing filled in: the fields are marked and named, nothing is sent.
    await page.click('.counter-enrol-form button[type="submit"]');
    expect(await page.getAttribute('#enrol-name', 'aria-invalid')).toBe('true');
    expect(await page.getAttribute('#enrol-phone', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#enrol-error')).toContain(
      'Check: Full name, Date of birth, Mobile phone number, Document number.',
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('enrol-name');

    // A wrong check digit: identity's validation_failed names the field, the page marks it.
    const wrongDigit = `${number.slice(0, 17)}${number[17] === '0' ? '1' : '0'}`;
    await fillEnrolment(page, {
      fullName: `${ATTACK} 赵敏`,
      birthDate: '1985-01-01',
      phone: '+86 138 0000 0501',
      number: wrongDigit,
    });
    await page.click('.counter-enrol-form button[type="submit"]');
    await page.waitForSelector('#enrol-document-number[aria-invalid="true"]', { timeout: 15_000 });
    expect(await page.textContent('#enrol-error')).toBe(
      'Something entered is not right; check it and try again. Check: Document number.',
    );
    expect(await page.getAttribute('#enrol-name', 'aria-invalid')).toBeNull();

    await page.fill('#enrol-document-number', number);
    await page.click('.counter-enrol-form button[type="submit"]');
    await page.waitForSelector('#enrol-letter', { timeout: 15_000 });
    const subjectId =
      (await page.textContent('#enrol-letter [data-field="activation-subject"]')) ?? '';
    const code = (await page.textContent('#enrol-letter [data-field="activation-code"]')) ?? '';
    expect(subjectId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(code.length).toBeGreaterThanOrEqual(8);
    expect(await page.textContent('#enrol-letter [data-field="activation-qr-text"]')).toBe(
      `tongban:activate:${code}`,
    );
    // The QR drawn in the browser holds exactly that.
    expect(await readQr(page, '#enrol-letter')).toBe(`tongban:activate:${code}`);
    const expiresAt = await page.getAttribute(
      '#enrol-letter [data-field="activation-expires"]',
      'data-expires-at',
    );
    expect(Date.parse(expiresAt ?? '')).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(await page.textContent('#enrol-letter [data-field="activation-expires"]')).toMatch(
      /\d{2}:\d{2}/,
    );
    expect(await page.$('main img')).toBeNull();
    // The form is empty for the next resident.
    expect(await page.inputValue('#enrol-document-number')).toBe('');

    // Print: this letter alone, without the page around it or its buttons.
    await page.click('#enrol-letter .activation-print');
    expect(await page.evaluate(() => (window as unknown as { __printed: number }).__printed)).toBe(
      1,
    );
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#enrol-letter [data-field="activation-code"]')).toBe(true);
    expect(await page.isVisible('#enrol-letter canvas[data-field="activation-qr"]')).toBe(true);
    expect(await page.isVisible('#enrol-letter [data-field="activation-expires"]')).toBe(true);
    for (const chrome of [
      'h1',
      '.staff-bar',
      '.counter-check',
      '.counter-enrol-form',
      '#enrol-letter .activation-print',
      'header',
      'footer',
    ]) {
      const shown = await page.$$eval(chrome, (els) =>
        els.some((el) => {
          const box = el.getBoundingClientRect();
          return getComputedStyle(el).visibility === 'visible' && box.width > 0 && box.height > 0;
        }),
      );
      expect(shown, `${chrome} is printed`).toBe(false);
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'counter-enrol-print-en.png') });
    await page.emulateMedia({ media: 'screen' });

    // The code on the letter activates a phone, for the resident just enrolled.
    const device = await activateWith(code, 'first.json');
    expect(device.subjectId).toBe(subjectId);

    // The same document again: already enrolled, said plainly.
    await fillEnrolment(page, {
      fullName: '赵敏',
      birthDate: '1985-01-01',
      phone: '13800000501',
      number,
    });
    await page.click('.counter-enrol-form button[type="submit"]');
    await page.waitForSelector('#enrol-document-number[aria-invalid="true"]', { timeout: 15_000 });
    expect(await page.textContent('#enrol-error')).toContain(
      'A resident with this ID document is already enrolled.',
    );

    enrolled = { subjectId, idNumber: number, code };
    const unexpected = watched.problems.filter(
      (p) => !refusedFetch(400).test(p) && !refusedFetch(409).test(p),
    );
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    await context.close();
  });

  it('after an ID check, makes a new activation code for a lost phone; the earlier unused code is void', async () => {
    if (!enrolled) throw new Error('the enrolment test did not run');
    const { context, page, watched } = await signedIn('zh-CN', VIEWPORTS[1]);
    await page.fill('#counter-name', '1 号窗口');
    // No ID check yet: no way to a new code.
    expect(await page.$('#reissue-submit')).toBeNull();
    await page.selectOption('#in-person-type', 'resident_id_card');
    await page.fill('#in-person-number', enrolled.idNumber);
    await page.click('.counter-in-person button[type="submit"]');
    await page.waitForSelector('#counter-result[data-state="verified"]', { timeout: 15_000 });
    expect(await page.textContent('[data-field="subject-id"]')).toBe(enrolled.subjectId);

    await page.click('#reissue-submit');
    await page.waitForSelector('#reissue-letter', { timeout: 15_000 });
    const first = (await page.textContent('#reissue-letter [data-field="activation-code"]')) ?? '';
    expect(first).not.toBe(enrolled.code);
    expect(await readQr(page, '#reissue-letter')).toBe(`tongban:activate:${first}`);
    expect(await page.textContent('#reissue-letter')).toContain('此前未使用的激活码已全部作废');
    expect(await page.textContent('#reissue-letter [data-field="activation-subject"]')).toBe(
      enrolled.subjectId,
    );

    // The resident comes back again: a second new code; the first, never used, is now void.
    await page.click('#reissue-submit');
    await page.waitForFunction(
      (before) =>
        document.querySelector('#reissue-letter [data-field="activation-code"]')?.textContent !==
        before,
      first,
      { timeout: 15_000 },
    );
    const second = (await page.textContent('#reissue-letter [data-field="activation-code"]')) ?? '';
    expect(await readQr(page, '#reissue-letter')).toBe(`tongban:activate:${second}`);
    expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
    await page.screenshot({
      path: join(SCREENSHOTS, 'counter-reissue-zh-CN-360.png'),
      fullPage: true,
    });

    await expect(activateWith(first, 'void.json')).rejects.toThrow(/activation_code_invalid/);
    await expect(activateWith(enrolled.code, 'used.json')).rejects.toThrow(
      /activation_code_invalid/,
    );
    const device = await activateWith(second, 'second.json');
    expect(device.subjectId).toBe(enrolled.subjectId);
    expect(watched.problems, watched.problems.join('\n')).toEqual([]);
    await context.close();
  });

  it('tells a member of staff who may not enrol so, in plain words', async () => {
    // A case officer is no counter clerk: identity answers 403 forbidden.
    const { context, page, watched } = await signedIn(
      'en',
      VIEWPORTS[0],
      'public-security.officer',
    );
    await fillEnrolment(page, {
      fullName: '孙八',
      birthDate: '1985-01-01',
      phone: '13800000888',
      number: idNumber(100),
    });
    await page.click('.counter-enrol-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#enrol-error')?.textContent, null, {
      timeout: 15_000,
    });
    expect(await page.textContent('#enrol-error')).toBe('Your account is not allowed to do this.');
    expect(await page.$('#enrol-letter')).toBeNull();
    const unexpected = watched.problems.filter((p) => !refusedFetch(403).test(p));
    expect(unexpected, unexpected.join('\n')).toEqual([]);
    await context.close();
  });

  let sequence = 10;
  for (const locale of LOCALES) {
    for (const viewport of VIEWPORTS) {
      it(`is accessible in ${locale} at ${viewport.width} px with an enrolment letter and a new code`, async () => {
        const { context, page, watched } = await signedIn(locale, viewport);
        const zh = locale === 'zh-CN';
        expect(await page.getAttribute('html', 'lang')).toBe(locale);
        expect(await page.textContent('#enrol-title')).toBe(
          zh ? '登记新居民' : 'Enrol a new resident',
        );
        const number = idNumber(sequence++);
        await fillEnrolment(page, {
          fullName: '钱七',
          birthDate: '1985-01-01',
          phone: '13800000777',
          number,
        });
        // The keyboard submits the form from its last field.
        await page.focus('#enrol-document-number');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#enrol-letter', { timeout: 15_000 });
        expect(await page.textContent('#enrol-letter h3')).toBe(
          zh ? '登记完成' : 'Resident enrolled',
        );

        await page.fill('#counter-name', ATTACK);
        await page.selectOption('#in-person-type', 'resident_id_card');
        await page.fill('#in-person-number', number);
        await page.click('.counter-in-person button[type="submit"]');
        await page.waitForSelector('#reissue-submit', { timeout: 15_000 });
        await page.focus('#reissue-submit');
        await page.keyboard.press('Enter');
        await page.waitForSelector('#reissue-letter', { timeout: 15_000 });
        await page.waitForSelector('#resident-cases[data-state="loaded"]', { timeout: 15_000 });

        expect(await overflow(page), 'the page scrolls sideways').toBeLessThanOrEqual(0);
        expect(await seriousViolations(page, axe)).toEqual([]);
        await page.screenshot({
          path: join(SCREENSHOTS, `counter-enrol-${locale}-${viewport.width}.png`),
          fullPage: true,
        });
        expect(watched.problems, watched.problems.join('\n')).toEqual([]);
        await context.close();
      });
    }
  }
});
