import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * An isolated, empty database for one test file: a database created on the server at
 * DATABASE_URL when it is set, else a fresh embedded PostgreSQL. `drop()` removes every trace.
 */
export type TestDatabase =
  | {
      readonly kind: 'postgres';
      readonly name: string;
      readonly url: string;
      readonly target: { readonly kind: 'postgres'; readonly url: string };
      drop(): Promise<void>;
    }
  | {
      readonly kind: 'pglite';
      readonly pglite: PGlite;
      readonly target: { readonly kind: 'pglite-instance'; readonly pglite: PGlite };
      drop(): Promise<void>;
    };

export async function createTestDatabase(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<TestDatabase> {
  const serverUrl = env.DATABASE_URL?.trim();
  return serverUrl ? createOnServer(serverUrl) : createEmbedded();
}

async function createOnServer(serverUrl: string): Promise<TestDatabase> {
  const name = `tb_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withAdmin(serverUrl, (admin) => admin.query(`create database "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    name,
    url: url.toString(),
    target: { kind: 'postgres', url: url.toString() },
    drop: async () => {
      await withAdmin(serverUrl, (admin) =>
        admin.query(`drop database if exists "${name}" with (force)`),
      );
    },
  };
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

// initdb costs seconds and hundreds of MiB; a dumped empty cluster loads in a fraction of that.
// The dump is made once per PGlite version and shared by every worker through the temp folder.
async function createEmbedded(): Promise<TestDatabase> {
  const template = await emptyClusterDump();
  const pglite = new PGlite({ loadDataDir: template });
  await pglite.waitReady;
  return {
    kind: 'pglite',
    pglite,
    target: { kind: 'pglite-instance', pglite },
    drop: () => (pglite.closed ? Promise.resolve() : pglite.close()),
  };
}

/**
 * Fills `dataDir` (which must not hold a cluster yet) with the empty cluster from the shared dump,
 * for a test that starts a service process on its own data folder: the process then reopens a
 * cluster (under a second) instead of running initdb, at about half the time and memory.
 */
export async function prepareEmbeddedDataDir(dataDir: string): Promise<void> {
  const pglite = new PGlite(dataDir, { loadDataDir: await emptyClusterDump() });
  await pglite.waitReady;
  await pglite.close();
}

let cachedDump: Promise<Blob> | undefined;

/**
 * Makes the empty-cluster dump before any test file runs (the test runner's global setup calls
 * it), so initdb — seconds of CPU and hundreds of MiB — is paid once per machine and PGlite
 * version, outside every hook's time limit, instead of once per worker inside whichever file
 * happens to start first. Does nothing when tests run against DATABASE_URL.
 */
export async function prepareTestDatabases(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  if (env.DATABASE_URL?.trim()) return;
  await emptyClusterDump();
}

function emptyClusterDump(): Promise<Blob> {
  cachedDump ??= (async () => {
    // The package does not export its package.json; its entry point sits in dist/ beside it.
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8'));
    const version = (manifest as { version: string }).version;
    const file = join(tmpdir(), `tongban-pglite-${version}-empty.tar`);
    if (existsSync(file)) return new Blob([await readFile(file)]);
    const fresh = new PGlite();
    await fresh.waitReady;
    const dump = await fresh.dumpDataDir('none');
    await fresh.close();
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file); // atomic: a concurrent worker sees the whole dump or none
    return dump;
  })();
  return cachedDump;
}
