import { type Database, openDatabase } from '@tongban/db';
import { createTestDatabase } from '@tongban/testing';
import type { ServiceInstance } from '../create-service.js';

export interface TestService {
  readonly app: ServiceInstance;
  readonly database: Database;
  close(): Promise<void>;
}

/**
 * A service as it runs — migrated schema, real engine — on a database of its own (a fresh
 * embedded PostgreSQL, or a new database on the server at DATABASE_URL), dropped by close().
 */
export async function startTestService(options: {
  readonly service: string;
  readonly migrationsFolder: string;
  readonly build: (database: Database) => Promise<ServiceInstance>;
}): Promise<TestService> {
  const target = await createTestDatabase();
  const database = await openDatabase({
    service: options.service,
    target: target.target,
    migrationsFolder: options.migrationsFolder,
  });
  try {
    await database.migrate();
    const app = await options.build(database);
    return {
      app,
      database,
      async close() {
        await app.close();
        await database.close();
        await target.drop();
      },
    };
  } catch (err) {
    await database.close();
    await target.drop();
    throw err;
  }
}
