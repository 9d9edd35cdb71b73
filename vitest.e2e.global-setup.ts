import { ensureBuild } from './scripts/build.mjs';
import { ensurePortalWeb } from './scripts/portal-web.js';

// Once before the browser tests: the pages they open are the built front end, served by the
// launcher's and services' bundles.
export default async function setup(): Promise<void> {
  await ensurePortalWeb((line) => process.stdout.write(`${line}\n`));
  await ensureBuild({ out: process.stdout });
}
