import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { createTestDatabase } from '@tongban/testing';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

export const migrationsFolder = fileURLToPath(
  new URL('../../../../migrations/portal', import.meta.url),
);

export interface TestApp {
  readonly app: ServiceInstance;
  readonly database: Database;
  close(): Promise<void>;
}

/** The service as it runs, on a database of its own that is dropped afterwards. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const target = await createTestDatabase();
  const database = await openDatabase({
    service: 'portal',
    target: target.target,
    migrationsFolder,
  });
  await database.migrate();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }, process.cwd());
  const app = await buildApp({ config, database });
  return {
    app,
    database,
    async close() {
      await app.close();
      await database.close();
      await target.drop();
    },
  };
}
