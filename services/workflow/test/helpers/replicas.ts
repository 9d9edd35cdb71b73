import { randomBytes } from 'node:crypto';
import { type Database, migrationsFolderFor, openDatabase } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { buildWorkflow, type WorkflowDeps } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { PUBLIC_URL } from './app.js';

export interface Replicas {
  readonly test: TestDatabase;
  /** Each replica's app, in the order built. */
  readonly apps: readonly ServiceInstance[];
  /** Each replica's own database handle (on the server, its own pool). */
  readonly databases: readonly Database[];
  close(): Promise<void>;
}

/**
 * `count` workflow instances on one migrated database, as replicas run in production: each with
 * its own connection pool on the server at DATABASE_URL, or all on the same embedded engine
 * (PGlite is one connection, so their transactions take turns). Built one after another: the
 * catalogue is published by the first and found published by the rest.
 */
export async function startReplicas(
  count: number,
  deps: Pick<WorkflowDeps, 'clock' | 'keyResolver' | 'catalogueDir'> &
    Partial<Pick<WorkflowDeps, 'slaOverdueJob'>>,
): Promise<Replicas> {
  const test = await createTestDatabase();
  const config = loadConfig(
    { NODE_ENV: 'test', LOG_LEVEL: 'silent', WORKFLOW_PUBLIC_URLS: PUBLIC_URL },
    process.cwd(),
  );
  const masterKey = randomBytes(32);
  const apps: ServiceInstance[] = [];
  const databases: Database[] = [];
  const close = async () => {
    for (const app of apps) await app.close();
    for (const database of databases) await database.close();
    await test.drop();
  };
  try {
    for (let i = 0; i < count; i++) {
      const database = await openDatabase({
        service: 'workflow',
        target: test.target,
        migrationsFolder: migrationsFolderFor('workflow'),
      });
      databases.push(database);
      if (i === 0) await database.migrate();
      const { app } = await buildWorkflow({
        config,
        database,
        masterKey,
        webhookWorker: false,
        ...deps,
      });
      apps.push(app);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { test, apps, databases, close };
}
