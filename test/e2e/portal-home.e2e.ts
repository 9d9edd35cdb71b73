import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

describe('portal home page in a browser', () => {
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

  it('shows every service as ready, fetched through the gateway, with no console errors', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(system.urls.portal);
    for (const name of ['identity', 'workflow', 'records']) {
      await page.waitForSelector(`tr[data-service="${name}"][data-state="ready"]`, {
        timeout: 15_000,
      });
    }
    expect(await page.title()).toContain('通办');
    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/portal-home.png', fullPage: true });
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('renders each service API docs UI with its operations', async () => {
    const page = await browser.newPage();
    for (const [base, path] of [
      [system.urls.identity, '/v1/departments'],
      [system.urls.workflow, '/v1/services'],
      [system.urls.records, '/v1/record-types'],
    ] as const) {
      await page.goto(`${base}/docs`);
      await page
        .locator('.opblock-summary-path', { hasText: path })
        .first()
        .waitFor({ timeout: 15_000 });
    }
  });
});
