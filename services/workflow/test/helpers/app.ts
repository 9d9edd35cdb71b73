import { fileURLToPath } from 'node:url';
import { startTestService, type TestService } from '@tongban/service-kit/testing';
import { buildApp, type WorkflowDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService;

export function startTestApp(
  env: Record<string, string> = {},
  deps: Partial<Pick<WorkflowDeps, 'clock' | 'keyResolver' | 'webhookSealKey'>> = {},
): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  return startTestService({
    service: 'workflow',
    migrationsFolder: fileURLToPath(new URL('../../../../migrations/workflow', import.meta.url)),
    // Tests drive webhook delivery themselves; no background loop.
    build: (database) => buildApp({ config, database, webhookWorker: false, ...deps }),
  });
}
