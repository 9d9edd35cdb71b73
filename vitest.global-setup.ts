import { prepareTestDatabases } from '@tongban/test-database';
import { ensurePortalWeb } from './scripts/portal-web.js';

// Runs once in the main process before the workers start: see prepareTestDatabases. The portal's
// front end is built here too, so system tests that start the launcher in parallel find it built.
export default async function setup(): Promise<void> {
  await prepareTestDatabases();
  await ensurePortalWeb(() => {});
}
