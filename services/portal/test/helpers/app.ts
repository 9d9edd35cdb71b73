import { fileURLToPath } from 'node:url';
import { startTestService, type TestService } from '@tongban/service-kit/testing';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService;

export function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  return startTestService({
    service: 'portal',
    migrationsFolder: fileURLToPath(new URL('../../../../migrations/portal', import.meta.url)),
    build: (database) => buildApp({ config, database }),
  });
}
