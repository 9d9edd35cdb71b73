import { join } from 'node:path';
import { dataRootFromEnv } from './locations.js';

/** Where a service keeps its data: a PostgreSQL server, or an embedded data folder. */
export type DatabaseTarget =
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'pglite'; readonly dataDir: string };

/**
 * `<SERVICE>_DATABASE_URL` wins over `DATABASE_URL`; with neither, the service uses embedded
 * PostgreSQL in `<TONGBAN_DATA_DIR or .data>/<service>`. Pure: the caller passes the environment.
 */
export function databaseTargetFromEnv(
  service: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): DatabaseTarget {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  const shared = env.DATABASE_URL;
  const url = nonEmpty(own) ?? nonEmpty(shared);
  if (url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error(
        `${own ? `${service.toUpperCase()}_DATABASE_URL` : 'DATABASE_URL'} must be a postgres:// URL`,
      );
    }
    return { kind: 'postgres', url };
  }
  return { kind: 'pglite', dataDir: join(dataRootFromEnv(env, cwd), service) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
