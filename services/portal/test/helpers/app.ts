import type { ServiceInstance } from '@tongban/service-kit';
import { startTestService, type TestService } from '@tongban/testing';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService<ServiceInstance>;

export function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  return startTestService({
    service: 'portal',
    build: (database) => buildApp({ config, database }),
  });
}
