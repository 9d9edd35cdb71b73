import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { SigningKeyStore } from '@tongban/keys';
import { startTestService, type TestService } from '@tongban/service-kit/testing';
import { buildWorkflow, type WorkflowDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService & { readonly keys: SigningKeyStore };

export async function startTestApp(
  env: Record<string, string> = {},
  deps: Partial<Pick<WorkflowDeps, 'clock' | 'keyResolver' | 'webhookSealKey'>> = {},
): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  let keys: SigningKeyStore | undefined;
  const service = await startTestService({
    service: 'workflow',
    migrationsFolder: fileURLToPath(new URL('../../../../migrations/workflow', import.meta.url)),
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
