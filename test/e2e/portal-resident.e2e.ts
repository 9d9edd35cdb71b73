import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createIdentityClient } from '@tongban/clients';
import jsqr from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
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

const axeSource = async () =>
  readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations (WCAG 2.x A and AA) on the page as it is now. */
async function seriousViolations(page: Page, source: string): Promise<AxeViolation[]> {
  // A <script src> for axe would be refused by script-src 'self'; evaluated source is not.
  await page.evaluate(source);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
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
});
