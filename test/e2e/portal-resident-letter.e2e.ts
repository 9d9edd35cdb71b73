import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createIdentityClient } from '@tongban/clients';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withCheckDigit } from '../../scripts/seed/seed.js';
import { launchChromium } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results/screenshots');

/** Console errors, page errors and CSP violations. */
async function watch(page: Page): Promise<string[]> {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /content security policy/i.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.exposeFunction('__reportCspViolation', (text: string) =>
    problems.push(`csp: ${text}`),
  );
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __reportCspViolation(t: string): void })
        .__reportCspViolation;
      report(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  return problems;
}

// The resident activates by photographing the QR code on the printed activation letter.
describe('resident page: activation from the QR code on the letter', () => {
  let system: RunningSystem;
  let browser: Browser;
  let scratch: string;
  let code: string;

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    scratch = await mkdtemp(join(tmpdir(), 'tb-letter-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    const password = (
      await readFile(join(system.dataDir, 'secrets', 'demo-staff-password'), 'utf8')
    ).trim();
    const identity = createIdentityClient({ baseUrl: system.urls.identity });
    const login = await identity.POST('/v1/auth/login', {
      body: { username: 'public-security.clerk', password },
    });
    if (!login.data) throw new Error(`clerk login: ${login.response.status}`);
    const clerk = createIdentityClient({
      baseUrl: system.urls.identity,
      token: login.data.accessToken,
    });
    const enrolled = await clerk.POST('/v1/residents', {
      body: {
        fullName: '孙悦',
        birthDate: '1993-07-08',
        phone: '13800000888',
        idDocument: { type: 'resident_id_card', number: withCheckDigit('11010119930708888') },
      },
    });
    if (!enrolled.data) throw new Error(`enrol: ${enrolled.response.status}`);
    code = enrolled.data.activation.code;
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  it('refuses a photo with no activation code, then activates from a photo of the letter', async () => {
    const context = await browser.newContext({
      locale: 'en',
      viewport: { width: 360, height: 740 },
    });
    const page = await context.newPage();
    const problems = await watch(page);
    await page.goto(`${system.urls.portal}/resident`);
    await page.waitForSelector('[data-resident-state="activate"]', { timeout: 15_000 });
    expect(await page.textContent('label[for="activation-photo"]')).toContain('QR code');

    // A QR code that is not an activation letter's: refused in words, nothing sent.
    const other = join(scratch, 'other.png');
    await writeFile(other, await QRCode.toBuffer('https://example.cn/not-a-letter', { scale: 8 }));
    await page.setInputFiles('#activation-photo', other);
    await page.waitForSelector('#activation-error:not(:empty)', { timeout: 15_000 });
    expect(await page.textContent('#activation-error')).toContain('No activation QR code');

    // The letter's QR, as the counter prints it: tongban:activate:<code>.
    const letter = join(scratch, 'letter.png');
    await writeFile(letter, await QRCode.toBuffer(`tongban:activate:${code}`, { scale: 8 }));
    await page.setInputFiles('#activation-photo', letter);
    await page.waitForSelector('[data-qr-state="shown"]', { timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'resident-letter-activated-en-360.png') });
    expect(problems, problems.join('\n')).toEqual([]);
    await context.close();
  });
});
