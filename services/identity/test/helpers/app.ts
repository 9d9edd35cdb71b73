import { randomBytes } from 'node:crypto';
import type { ServiceInstance } from '@tongban/service-kit';
import { startTestService, type TestService } from '@tongban/testing';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** Public base URL the tests' device proofs name (htu). */
export const PUBLIC_URL = 'http://identity.test';

/** A clock the test moves by hand. */
export interface TestClock {
  (): Date;
  set(date: Date): void;
  advance(ms: number): void;
}

export function testClock(start = new Date('2026-11-26T09:00:00Z')): TestClock {
  let now = start.getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (d) => {
    now = d.getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

export interface TestApp extends TestService<ServiceInstance> {
  readonly clock: TestClock;
}

/** The service as it runs, on a database of its own that is dropped afterwards. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { clock?: TestClock } = {},
): Promise<TestApp> {
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      IDENTITY_MASTER_KEY: randomBytes(32).toString('base64url'),
      IDENTITY_PUBLIC_URLS: PUBLIC_URL,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      RATE_LIMIT_MAX: '100000',
      ...env,
    },
    process.cwd(),
  );
  const clock = options.clock ?? testClock(new Date());
  const service = await startTestService({
    service: 'identity',
    // Delivery passes run only when a test asks (app.jobs.runNow('webhook-delivery')), so no
    // background pass races a test that looks at the outbox or the deliveries.
    build: (database) =>
      buildApp({ config, database, clock, webhookWorker: { intervalMs: 24 * 3_600_000 } }),
  });
  return { ...service, clock };
}

export const ADMIN_PASSWORD = 'admin-password-for-tests';
