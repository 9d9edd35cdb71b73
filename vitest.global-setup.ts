import { prepareTestDatabases } from '@tongban/test-database';
import { ensureBuild } from './scripts/build.mjs';
import { ensurePortalWeb } from './scripts/portal-web.js';

// Runs once in the main process before the workers start: see prepareTestDatabases. The portal's
// front end and the launcher's and services' bundles are built here too, so system tests that
// start the launcher or a service's bundle in parallel find them built.
export default async function setup(): Promise<void> {
  // Independent of one another; together they share the two cores instead of taking turns.
  await Promise.all([prepareTestDatabases(), ensurePortalWeb(() => {}), ensureBuild()]);
}
