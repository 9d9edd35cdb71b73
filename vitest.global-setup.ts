import { prepareTestDatabases } from '@tongban/test-database';

// Runs once in the main process before the workers start: see prepareTestDatabases.
export default async function setup(): Promise<void> {
  await prepareTestDatabases();
}
