import { randomBytes } from 'node:crypto';
import type { KeyResolver } from '@tongban/auth';
import type { SigningKeyStore } from '@tongban/keys';
import type { ServiceInstance } from '@tongban/service-kit';
import { startTestService, type TestService } from '@tongban/testing';
import { buildRecords } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService<ServiceInstance> & { readonly keys: SigningKeyStore };

/** Records' public base URL in tests (`RECORDS_PUBLIC_URLS`): resident DPoP proofs name it. */
export const PUBLIC_URL = 'http://records.test';

export interface TestAppOptions {
  readonly keyResolver?: KeyResolver;
  /** Workflow's keys for case grants, as the test holds them. */
  readonly caseGrantKeyResolver?: KeyResolver;
  /** The service's clock; every token and proof of the test must read the same one. */
  readonly clock?: () => Date;
  /** The access-log sequencer's interval, when the test runs it itself (`app.jobs.runNow`). */
  readonly accessLogSequencer?: { readonly intervalMs: number };
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const config = loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', RECORDS_PUBLIC_URLS: PUBLIC_URL, ...env },
    process.cwd(),
  );
  let keys: SigningKeyStore | undefined;
  const service = await startTestService({
    service: 'records',
    build: async (database) => {
      const built = await buildRecords({
        config,
        database,
        masterKey: randomBytes(32),
        // Tests drive webhook delivery themselves; no background passes.
        webhookWorker: false,
        ...(options.keyResolver ? { keyResolver: options.keyResolver } : {}),
        ...(options.caseGrantKeyResolver
          ? { caseGrantKeyResolver: options.caseGrantKeyResolver }
          : {}),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.accessLogSequencer ? { accessLogSequencer: options.accessLogSequencer } : {}),
      });
      keys = built.keys;
      return built.app;
    },
  });
  if (!keys) throw new Error('records was built without its key store');
  return { ...service, keys };
}
