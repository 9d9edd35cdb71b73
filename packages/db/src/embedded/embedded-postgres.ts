import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS_SCHEMA } from '../migrate.js';
import { quoteIdent, startWireServer, type WireServer } from './wire-server.js';

/**
 * One embedded PostgreSQL for the whole system on one machine (`npm start`, ADR 0018): a single
 * data folder, served over the PostgreSQL wire protocol on loopback, with one role per service.
 * Each service connects to it with `pg`, exactly as it connects to a server in production.
 */
export interface EmbeddedPostgres {
  readonly dataDir: string;
  readonly server: WireServer;
  /** Settles when the engine is open (it may still be opening when this object is returned). */
  readonly ready: Promise<void>;
  /** The connection URL for a service's role (password included; hand it to that service only). */
  url(service: string): string;
  close(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's folder; created (initdb) on first use. */
  readonly dataDir: string;
  /** One role and one schema each; the role may create its own schema and nothing else. */
  readonly services: readonly string[];
  readonly host?: string;
  readonly port?: number;
  readonly idleInTransactionMs?: number;
  readonly onClientError?: (error: Error) => void;
  /**
   * A folder for a copy of an empty cluster, made by the first initdb on this machine (one file
   * per engine version). A new data folder is then filled from it in about a second instead of
   * running initdb again; without it, every new data folder runs initdb.
   */
  readonly emptyClusterCache?: string;
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  for (const service of options.services) {
    if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`not a role name: ${service}`);
  }
  // Decided once, before anything is written: how this start gets its cluster.
  const cache = cacheFileOf(options);
  const how: ClusterSource = existsSync(join(options.dataDir, 'PG_VERSION'))
    ? 'existing'
    : cache !== undefined && existsSync(cache)
      ? 'copy'
      : 'initdb';
  const opening = (async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = await openCluster(PGlite, options.dataDir, how, cache);
    try {
      await grantRoles(pglite, options.services);
    } catch (err) {
      await pglite.close();
      throw err;
    }
    return pglite;
  })();
  // initdb can take longer than a client waits to be let in, so only a cluster that opens in
  // about a second (an existing one, or a copy of the empty one) accepts connections meanwhile.
  if (how === 'initdb') await opening;
  // Fresh passwords at every start: only the processes this start hands them to can connect.
  const users = new Map(options.services.map((s) => [s, randomBytes(24).toString('base64url')]));
  let server: WireServer;
  try {
    server = await startWireServer({
      pglite: opening,
      users,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      ...(options.idleInTransactionMs !== undefined
        ? { idleInTransactionMs: options.idleInTransactionMs }
        : {}),
      ...(options.onClientError ? { onClientError: options.onClientError } : {}),
    });
  } catch (err) {
    await opening.then((pglite) => pglite.close()).catch(() => {});
    throw err;
  }
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  let closing: Promise<void> | undefined;
  return {
    dataDir: options.dataDir,
    server,
    ready: opening.then(() => {}),
    url(service) {
      const password = users.get(service);
      if (password === undefined) throw new Error(`no role for ${service}`);
      return `postgres://${service}:${password}@${host}:${server.port}/tongban`;
    },
    close() {
      closing ??= server
        .close()
        .finally(() => opening.then((pglite) => pglite.close()).catch(() => {}));
      return closing;
    },
  };
}

function cacheFileOf(options: EmbeddedPostgresOptions): string | undefined {
  return options.emptyClusterCache
    ? join(options.emptyClusterCache, `pglite-${engineVersion()}-empty-cluster.tar`)
    : undefined;
}

/**
 * Each service's role owns what it creates (its schema, its row in the migrations bookkeeping)
 * and is granted nothing of another service's, so the rule that a service never reads another's
 * tables holds in the database too, as it does with a role per service on a server.
 */
async function grantRoles(pglite: PGlite, services: readonly string[]): Promise<void> {
  const roles = services.map(quoteIdent).join(', ');
  const statements = [
    ...services.map(
      (s) =>
        `do $$ begin if not exists (select from pg_roles where rolname = '${s}') then create role ${quoteIdent(s)} nologin; end if; end $$`,
    ),
    `grant create on database postgres to ${roles}`,
    `create schema if not exists ${quoteIdent(MIGRATIONS_SCHEMA)}`,
    `grant usage, create on schema ${quoteIdent(MIGRATIONS_SCHEMA)} to ${roles}`,
  ];
  await pglite.exec(statements.join(';\n'));
}

type PGliteClass = typeof import('@electric-sql/pglite').PGlite;
type ClusterSource = 'existing' | 'copy' | 'initdb';

async function openCluster(
  PGlite: PGliteClass,
  dataDir: string,
  how: ClusterSource,
  cache: string | undefined,
): Promise<PGlite> {
  if (how === 'existing') {
    const pglite = new PGlite(dataDir);
    await pglite.waitReady;
    return pglite;
  }
  if (how === 'copy' && cache !== undefined) {
    try {
      await mkdir(dataDir, { recursive: true });
      const pglite = new PGlite(dataDir, { loadDataDir: new Blob([await readFile(cache)]) });
      await pglite.waitReady;
      return pglite;
    } catch {
      // A damaged copy: drop it and whatever it half wrote, and make the cluster the long way.
      await rm(cache, { force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  await initdb(dataDir, cache);
  const pglite = new PGlite(dataDir);
  await pglite.waitReady;
  return pglite;
}

/** The engine's version, which names the empty-cluster copy it can load. */
function engineVersion(): string {
  const require = createRequire(join(packageRoot(), 'package.json'));
  const entry = require.resolve('@electric-sql/pglite');
  // The package exports no package.json; its entry point sits in dist/ beside it.
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
  return String((manifest as { version: unknown }).version);
}

/**
 * initdb in a short-lived process of its own (scripts/empty-cluster.mjs): it grows the engine's
 * WebAssembly memory to several hundred MiB, which a process never gives back, so the
 * long-running engine that then opens the folder stays at about a third of that. The same run
 * leaves the copy of the empty cluster in the cache folder, when there is one.
 */
async function initdb(dataDir: string, cache: string | undefined): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const script = join(packageRoot(), 'scripts', 'empty-cluster.mjs');
  // Without a cache folder the copy goes to a throwaway folder beside the data folder.
  const scratch = cache === undefined ? `${dataDir}.initdb-${process.pid}` : undefined;
  const args = [script, cache === undefined ? (scratch as string) : dirname(cache), dataDir];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (status, signal) =>
      status === 0
        ? resolve()
        : reject(
            new Error(
              `creating the embedded database in ${dataDir} failed (${signal ?? `exit ${status}`}): ${stderr.trim().slice(-500)}`,
            ),
          ),
    );
  }).finally(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));
}

/** This package's folder: found through its own name, so it holds inside a bundle too. */
function packageRoot(): string {
  return dirname(createRequire(import.meta.url).resolve('@tongban/db/package.json'));
}
