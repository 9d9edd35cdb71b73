import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder that holds every service's embedded data and the demo's generated secrets:
 * `TONGBAN_DATA_DIR`, or `.data`, resolved against `cwd`. The one place that default lives, so
 * the launcher, each service and identity's demo key agree on it. An empty value counts as unset.
 */
export function dataRootFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): string {
  const raw = env.TONGBAN_DATA_DIR?.trim();
  return resolve(cwd, raw === undefined || raw === '' ? '.data' : raw);
}

// Resolved from this file, not from the working directory, so a service finds its migrations
// whether it runs from its own folder, from the repository root or from /app/services/<name> in
// the image (which copies migrations/ to /app/migrations, beside packages/).
const migrationsRoot = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/** The SQL migrations drizzle-kit writes for a service: `<repository>/migrations/<service>`. */
export function migrationsFolderFor(service: string): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(service)) {
    throw new Error(`not a service name: ${JSON.stringify(service)}`);
  }
  return resolve(migrationsRoot, service);
}
