import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createIdentityClient } from '@tongban/clients';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeSource, launchChromium, seriousViolations } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

const SCREENSHOTS = resolve('test-results', 'screenshots');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 360, height: 740 };

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

/**
 * A platform authenticator that holds discoverable credentials and verifies its user, as a
 * phone's or laptop's built-in one does (WebAuthn domain of the DevTools protocol).
 */
async function virtualAuthenticator(
  context: BrowserContext,
  page: Page,
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Nothing scrolls sideways, the page meets WCAG AA as axe sees it, and a full-page picture. */
async function checkAndShoot(page: Page, axe: string, name: string): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `${name}: the page scrolls sideways`).toBeLessThanOrEqual(0);
  expect(await seriousViolations(page, axe), name).toEqual([]);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Both viewports of the page as it stands. */
async function checkBothWidths(page: Page, axe: string, name: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await checkAndShoot(page, axe, `${name}-1280`);
  await page.setViewportSize(PHONE);
  await checkAndShoot(page, axe, `${name}-360`);
  await page.setViewportSize(DESKTOP);
}

async function signInWithPassword(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#staff-username', username);
  await page.fill('#staff-password', password);
  await page.click('.staff-sign-in button[type="submit"]');
}

describe('staff passkeys in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  let portal: string;
  let staffPassword: string;
  let adminPassword: string;
  let axe: string;

  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
    // WebAuthn takes no IP address as relying party: the portal is opened by host name.
    portal = system.urls.portal.replace('127.0.0.1', 'localhost');
    const secret = async (name: string) =>
      (await readFile(join(system.dataDir, 'secrets', name), 'utf8')).trim();
    staffPassword = await secret('demo-staff-password');
    adminPassword = await secret('admin-password');
    axe = await axeSource();
    await mkdir(SCREENSHOTS, { recursive: true });
    process.stdout.write(`screenshots: ${SCREENSHOTS}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  const cases = [
    // Registered from the account page's form (with a name), and from the signed-in bar.
    { locale: 'zh-CN', username: 'civil-affairs.clerk', from: 'page' },
    { locale: 'en', username: 'civil-affairs.officer', from: 'bar' },
  ] as const;
  for (const { locale, username, from } of cases) {
    it(`A staff member registers a passkey and signs in with it, through Chromium's virtual authenticator (${locale}, registered from the ${from})`, async () => {
      const zh = locale === 'zh-CN';
      const context = await browser.newContext({ locale, viewport: DESKTOP });
      const page = await context.newPage();
      const watched = await watch(page);
      const { cdp, authenticatorId } = await virtualAuthenticator(context, page);

      await page.goto(`${portal}/staff`);
      await page.waitForSelector('form.staff-sign-in');
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await page.textContent('h1')).toBe(zh ? '工作人员账户' : 'Staff account');
      expect(await page.textContent('[data-action="passkey-sign-in"]')).toBe(
        zh ? '使用通行密钥登录' : 'Sign in with a passkey',
      );
      // Every field has its label.
      expect(await page.textContent('label[for="staff-username"]')).toBe(
        zh ? '用户名' : 'Username',
      );
      await checkBothWidths(page, axe, `staff-sign-in-${locale}`);

      await signInWithPassword(page, username, staffPassword);
      await page.waitForSelector('.staff-bar');
      await page.waitForSelector('.passkey-list[data-state="loaded"]');
      expect(await page.textContent('.passkey-list')).toBe(
        zh ? '您还没有通行密钥。' : 'You have no passkeys yet.',
      );
      await checkBothWidths(page, axe, `staff-account-${locale}`);

      if (from === 'page') {
        await page.fill('#passkey-label', '办公室电脑');
        await page.click('.passkey-add [data-action="register-passkey"]');
      } else {
        await page.click('.staff-bar [data-action="register-passkey"]');
      }
      await page.waitForSelector('[data-passkey-state="registered"]', { timeout: 15_000 });
      await page.waitForSelector('.passkey-list li.passkey');
      const listed = await page.$$eval('.passkey-list li.passkey', (items) =>
        items.map((li) => li.textContent ?? ''),
      );
      expect(listed).toHaveLength(1);
      expect(listed[0]).toContain(from === 'page' ? '办公室电脑' : 'Passkey');
      expect(listed[0]).toContain(zh ? '尚未使用' : 'Not used yet');

      // The authenticator now holds one discoverable credential for this portal's host.
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      expect(credentials).toHaveLength(1);
      expect(credentials[0]?.isResidentCredential).toBe(true);
      expect(credentials[0]?.rpId).toBe('localhost');
      await checkBothWidths(page, axe, `staff-passkey-registered-${locale}`);

      // Sign out: the token is gone from the tab, the form is back.
      await page.click('.staff-bar button:not([data-action])');
      await page.waitForSelector('form.staff-sign-in');
      expect(await page.evaluate(() => sessionStorage.getItem('tongban.staff-session'))).toBeNull();

      // The passkey alone: no username, no password.
      await page.click('[data-action="passkey-sign-in"]');
      await page.waitForSelector('.staff-bar', { timeout: 15_000 });
      expect(await page.textContent('.staff-bar-who')).toContain(
        zh ? '民政局窗口受理员 (civil_affairs)' : '民政局审批员 (civil_affairs)',
      );
      await page.waitForSelector('.passkey-list[data-state="loaded"] li.passkey');
      expect(await page.textContent('.passkey-list li.passkey')).not.toContain(
        zh ? '尚未使用' : 'Not used yet',
      );
      // The token it holds is a real one: identity lists this member's passkey with it.
      const token = await page.evaluate(
        () =>
          (
            JSON.parse(sessionStorage.getItem('tongban.staff-session') ?? '{}') as {
              accessToken?: string;
            }
          ).accessToken,
      );
      const mine = await createIdentityClient({ baseUrl: system.urls.identity, token }).GET(
        '/v1/me/passkeys',
      );
      // The DevTools protocol writes the credential id in standard base64, WebAuthn in base64url.
      const held = Buffer.from(credentials[0]?.credentialId ?? '', 'base64').toString('base64url');
      expect(mine.data?.items.map((p) => p.credentialId)).toEqual([held]);
      expect(mine.data?.items[0]?.lastUsedAt).not.toBeNull();
      await checkBothWidths(page, axe, `staff-passkey-signed-in-${locale}`);

      expect(watched.problems, watched.problems.join('\n')).toEqual([]);
      await context.close();
    });
  }

  it('tells a member whose department requires passkeys to use one, and lets the passkey in', async () => {
    const context = await browser.newContext({ locale: 'en', viewport: PHONE });
    const page = await context.newPage();
    const watched = await watch(page);
    await virtualAuthenticator(context, page);

    await page.goto(`${portal}/staff`);
    await page.waitForSelector('form.staff-sign-in');
    await signInWithPassword(page, 'health.clerk', staffPassword);
    await page.waitForSelector('.staff-bar');
    await page.click('.staff-bar [data-action="register-passkey"]');
    await page.waitForSelector('[data-passkey-state="registered"]', { timeout: 15_000 });
    await page.click('.staff-bar button:not([data-action])');
    await page.waitForSelector('form.staff-sign-in');

    const identity = createIdentityClient({ baseUrl: system.urls.identity });
    const admin = await identity.POST('/v1/auth/login', {
      body: { username: 'admin', password: adminPassword },
    });
    if (!admin.data) throw new Error(`admin login: ${admin.response.status}`);
    const set = await createIdentityClient({
      baseUrl: system.urls.identity,
      token: admin.data.accessToken,
    }).PUT('/v1/departments/{code}/security', {
      params: { path: { code: 'health' } },
      body: { requirePasskey: true },
    });
    expect(set.response.status).toBe(200);

    await signInWithPassword(page, 'health.clerk', staffPassword);
    await page.waitForFunction(
      () => (document.querySelector('.staff-sign-in .form-error')?.textContent ?? '') !== '',
    );
    expect(await page.textContent('.staff-sign-in .form-error')).toBe(
      'Your department requires a passkey to sign in: use “Sign in with a passkey” below.',
    );
    // The keyboard is taken to the way forward.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-action'))).toBe(
      'passkey-sign-in',
    );
    await checkAndShoot(page, axe, 'staff-passkey-required-en-360');

    await page.keyboard.press('Enter');
    await page.waitForSelector('.staff-bar', { timeout: 15_000 });
    expect(await page.textContent('.staff-bar-who')).toContain('(health)');

    // Chromium logs the refused password sign-in (403); nothing else.
    const refused =
      'console: Failed to load resource: the server responded with a status of 403 (Forbidden)';
    expect(watched.problems.filter((p) => p === refused)).toHaveLength(1);
    const others = watched.problems.filter((p) => p !== refused);
    expect(others, others.join('\n')).toEqual([]);
    await context.close();
  });
});
