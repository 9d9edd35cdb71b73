import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

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

/**
 * `<repository>/migrations`, found through this package's own manifest rather than this file's
 * location: in a service's bundle (services/<name>/build/server.js) import.meta.url is the bundle,
 * and every service depends on @tongban/db, so the manifest resolves from the source and from a
 * bundle alike, whatever the working directory; /app/migrations sits beside /app/packages in the
 * image as migrations/ does in the repository.
 */
function migrationsRoot(): string {
  const manifest = createRequire(import.meta.url).resolve('@tongban/db/package.json');
  return resolve(dirname(manifest), '..', '..', 'migrations');
}

/** The SQL migrations drizzle-kit writes for a service: `<repository>/migrations/<service>`. */
export function migrationsFolderFor(service: string): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(service)) {
    throw new Error(`not a service name: ${JSON.stringify(service)}`);
  }
  return resolve(migrationsRoot(), service);
}
