import { ensurePortalWeb } from './scripts/portal-web.js';

// Once before the browser tests: the pages they open are the built front end.
export default async function setup(): Promise<void> {
  await ensurePortalWeb((line) => process.stdout.write(`${line}\n`));
}
