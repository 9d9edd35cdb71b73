import { type Database, migrationsFolderFor, openDatabase } from '@tongban/db';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';

export const migrationsFolder = migrationsFolderFor('records');

/**
 * One migrated database that several replicas open, each through its own connection pool (on
 * the server) or the same embedded engine (PGlite, which is one connection by nature).
 */
export interface SharedDatabase {
  readonly test: TestDatabase;
  open(): Promise<Database>;
  close(): Promise<void>;
}

export async function sharedDatabase(): Promise<SharedDatabase> {
  const test = await createTestDatabase();
  const opened: Database[] = [];
  const open = async () => {
    const database = await openDatabase({
      service: 'records',
      target: test.target,
      migrationsFolder,
    });
    opened.push(database);
    return database;
  };
  await (await open()).migrate();
  return {
    test,
    open,
    async close() {
      for (const database of opened) await database.close();
      await test.drop();
    },
  };
}
