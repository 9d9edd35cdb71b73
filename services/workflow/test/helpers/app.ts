import { randomBytes } from 'node:crypto';
import type { SigningKeyStore } from '@tongban/keys';
import type { ServiceInstance } from '@tongban/service-kit';
import { startTestService, type TestService } from '@tongban/testing';
import { buildWorkflow, type WorkflowDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

/** Workflow's public base URL in tests (`WORKFLOW_PUBLIC_URLS`): resident DPoP proofs name it. */
export const PUBLIC_URL = 'http://workflow.test';

export type TestApp = TestService<ServiceInstance> & { readonly keys: SigningKeyStore };

export async function startTestApp(
  env: Record<string, string> = {},
  deps: Partial<
    Pick<
      WorkflowDeps,
      | 'clock'
      | 'keyResolver'
      | 'webhookSealKey'
      | 'catalogueDir'
      | 'pullRecords'
      | 'checkVerification'
      | 'caseRecordsJob'
      | 'slaOverdueJob'
    >
  > = {},
): Promise<TestApp> {
  const config = loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', WORKFLOW_PUBLIC_URLS: PUBLIC_URL, ...env },
    process.cwd(),
  );
  let keys: SigningKeyStore | undefined;
  const service = await startTestService({
    service: 'workflow',
    build: async (database) => {
      const built = await buildWorkflow({
        config,
        database,
        masterKey: randomBytes(32),
        // Tests drive webhook delivery themselves; no background passes.
        webhookWorker: false,
        ...deps,
      });
      keys = built.keys;
      return built.app;
    },
  });
  if (!keys) throw new Error('workflow was built without its key store');
  return { ...service, keys };
}
