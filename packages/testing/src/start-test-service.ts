import { type Database, migrationsFolderFor, openDatabase } from '@tongban/db';
import { createTestDatabase } from '@tongban/test-database';

/** What a test gets back: the built app, its database, and close() that drops both. */
export interface TestService<App extends { close(): unknown }> {
  readonly app: App;
  readonly database: Database;
  close(): Promise<void>;
}

/**
 * A service as it runs — migrated schema, real engine — on a database of its own (a fresh
 * embedded PostgreSQL, or a new database on the server at DATABASE_URL), dropped by close().
 * Migrations come from the same place runService reads them, `migrations/<service>`.
 */
export async function startTestService<App extends { close(): unknown }>(options: {
  readonly service: string;
  readonly build: (database: Database) => Promise<App>;
  /** Only for a fixture whose migrations live outside the repository's `migrations/` folder. */
  readonly migrationsFolder?: string;
}): Promise<TestService<App>> {
  const target = await createTestDatabase();
  const database = await openDatabase({
    service: options.service,
    target: target.target,
    migrationsFolder: options.migrationsFolder ?? migrationsFolderFor(options.service),
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
