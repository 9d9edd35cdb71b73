import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
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
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  for (const service of options.services) {
    if (!/^[a-z][a-z0-9_]*$/.test(service)) throw new Error(`not a role name: ${service}`);
  }
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initdb(options.dataDir);
  const pglite = new PGlite(options.dataDir);
  await pglite.waitReady;
  try {
    await grantRoles(pglite, options.services);
    // Fresh passwords at every start: only the processes this start hands them to can connect.
    const users = new Map(options.services.map((s) => [s, randomBytes(24).toString('base64url')]));
    const server = await startWireServer({
      pglite,
      users,
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      ...(options.idleInTransactionMs !== undefined
        ? { idleInTransactionMs: options.idleInTransactionMs }
        : {}),
      ...(options.onClientError ? { onClientError: options.onClientError } : {}),
    });
    const host = server.host.includes(':') ? `[${server.host}]` : server.host;
    let closing: Promise<void> | undefined;
    return {
      dataDir: options.dataDir,
      server,
      url(service) {
        const password = users.get(service);
        if (password === undefined) throw new Error(`no role for ${service}`);
        return `postgres://${service}:${password}@${host}:${server.port}/tongban`;
      },
      close() {
        closing ??= server.close().finally(() => pglite.close());
        return closing;
      },
    };
  } catch (err) {
    await pglite.close();
    throw err;
  }
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

/**
 * initdb in a short-lived process of its own: it grows the engine's WebAssembly memory to
 * several hundred MiB, which a process never gives back, so the long-running engine that then
 * opens the folder stays at about a third of that.
 */
async function initdb(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const code = [
    "import { PGlite } from '@electric-sql/pglite';",
    'const db = new PGlite(process.argv[1]);',
    'await db.waitReady;',
    'await db.close();',
  ].join('\n');
  // Resolved from this package's folder, where its own dependency on the engine lives.
  const cwd = dirname(createRequire(import.meta.url).resolve('@tongban/db/package.json'));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, dataDir], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
  });
}
