import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

// An anonymous operation each service documents, to find on the page and to try out.
const OPERATIONS = [
  ['identity', '/v1/departments'],
  ['workflow', '/v1/services'],
  ['records', '/v1/record-types'],
] as const;

describe('each service’s API docs through the portal gateway, in a browser', () => {
  let system: RunningSystem;
  let browser: Browser;
  beforeAll(async () => {
    system = await startSystem();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (system) expect(await system.stop()).toBe(0);
  });

  /** A page that collects console errors, uncaught exceptions and failed requests. */
  async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    });
    return { page, problems };
  }

  it.each(OPERATIONS)(
    'renders /api/%s/docs with its operations and no console errors',
    async (service, path) => {
      const { page, problems } = await watchedPage();
      await page.goto(`${system.urls.portal}/api/${service}/docs`);
      await page
        .locator('.opblock-summary-path', { hasText: path })
        .first()
        .waitFor({ timeout: 15_000 });
      expect(page.url()).toBe(`${system.urls.portal}/api/${service}/docs/`);
      expect(problems, problems.join('\n')).toEqual([]);
      await page.close();
    },
  );

  it('tries out GET /v1/services against the workflow service, through the gateway', async () => {
    const { page, problems } = await watchedPage();
    await page.goto(`${system.urls.portal}/api/workflow/docs`);
    const operation = page
      .locator('.opblock', {
        has: page.locator('.opblock-summary-path', { hasText: /^\/v1\/services$/ }),
      })
      .first();
    await operation.locator('.opblock-summary-control').click({ timeout: 15_000 });
    await operation.locator('button.try-out__btn').click();
    const answered = page.waitForResponse((r) => r.url().includes('/v1/services?'));
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(new URL(response.url()).pathname).toBe('/api/workflow/v1/services');
    expect(response.status()).toBe(200);
    const status = operation.locator('.live-responses-table .response .response-col_status');
    await status.waitFor({ timeout: 15_000 });
    expect((await status.textContent())?.trim()).toBe('200');
    expect(problems, problems.join('\n')).toEqual([]);
    await page.close();
  });
});
