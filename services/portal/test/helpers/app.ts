import { fileURLToPath } from 'node:url';
import type { ServiceInstance } from '@tongban/service-kit';
import { startTestService, type TestService } from '@tongban/testing';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export type TestApp = TestService<ServiceInstance>;

// A folder that never exists: without a webRoot of its own a test gets the "not built" pages,
// whatever happens to be in the package's dist/.
const NO_FRONT_END = fileURLToPath(new URL('./no-front-end/', import.meta.url));

/** `webRoot`: a built front end of the test's own (see test/helpers/web-root.ts). */
export function startTestApp(
  env: Record<string, string> = {},
  options: { readonly webRoot?: string } = {},
): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  return startTestService({
    service: 'portal',
    build: (database) => buildApp({ config, database, webRoot: options.webRoot ?? NO_FRONT_END }),
  });
}
