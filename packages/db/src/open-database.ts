import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { type MigrationReport, migrationStatus, runMigrations } from './migrate.js';
import type { DatabaseTarget } from './target.js';

export type Engine = 'pglite' | 'postgres';

/**
 * The one database type every service codes against. Both engines are drizzle's PgDatabase;
 * only the query-result shape differs, and services never depend on it.
 */
export type Db<TSchema extends Record<string, unknown> = Record<string, never>> = PgDatabase<
  PgQueryResultHKT,
  TSchema
>;

export interface DatabaseOptions<TSchema extends Record<string, unknown>> {
  /** Service name: its PostgreSQL schema and its folder under migrations/. */
  readonly service: string;
  readonly target: DatabaseTarget | { readonly kind: 'pglite-instance'; readonly pglite: PGlite };
  readonly migrationsFolder: string;
  readonly schema?: TSchema;
  /** pg pool size per replica; ignored for embedded PostgreSQL. */
  readonly poolMax?: number;
  /** Called with pool-level errors (a dropped idle connection) instead of crashing the process. */
  readonly onPoolError?: (error: Error) => void;
}

export interface Database<TSchema extends Record<string, unknown> = Record<string, never>> {
  readonly db: Db<TSchema>;
  readonly engine: Engine;
  readonly service: string;
  /** Applies pending migrations under an advisory lock; safe when replicas start together. */
  migrate(): Promise<MigrationReport>;
  /** Throws unless the database answers and every migration on disk has been applied. */
  checkReady(): Promise<MigrationReport>;
  /** Connection counts right now, for metrics; cheap and synchronous. */
  stats(): DatabaseStats;
  close(): Promise<void>;
}

export interface DatabaseStats {
  /** Connections the pool may open; embedded PostgreSQL is one connection. */
  readonly max: number;
  /** Connections open now, busy or idle. */
  readonly total: number;
  readonly idle: number;
  /** Queries waiting for a connection: above zero for long, the pool is too small. */
  readonly waiting: number;
}

const CLOSED: DatabaseStats = { max: 0, total: 0, idle: 0, waiting: 0 };
const EMBEDDED: DatabaseStats = { max: 1, total: 1, idle: 1, waiting: 0 };

export async function openDatabase<TSchema extends Record<string, unknown> = Record<string, never>>(
  options: DatabaseOptions<TSchema>,
): Promise<Database<TSchema>> {
  const { service, target, migrationsFolder } = options;
  const schema = options.schema ?? ({} as TSchema);
  let db: Db<TSchema>;
  let engine: Engine;
  let closeEngine: () => Promise<void>;
  let stats: () => DatabaseStats;
  let closed = false;
  // PGlite runs one query at a time behind its own queue and does not expose its length.
  const embeddedStats = () => (closed ? CLOSED : EMBEDDED);

  if (target.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.poolMax ?? 10,
      application_name: `tongban-${service}`,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client that loses its server emits 'error' on the pool; unhandled, it kills the process.
    pool.on('error', (error) => options.onPoolError?.(error));
    db = drizzleNodePg(pool, { schema }) as unknown as Db<TSchema>;
    engine = 'postgres';
    closeEngine = () => pool.end();
    const max = options.poolMax ?? 10;
    stats = () => ({
      max,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    });
  } else if (target.kind === 'pglite') {
    await mkdir(target.dataDir, { recursive: true });
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = new PGlite(target.dataDir);
    await pglite.waitReady;
    db = (await drizzlePglite())(pglite, { schema }) as unknown as Db<TSchema>;
    engine = 'pglite';
    closeEngine = () => pglite.close();
    stats = embeddedStats;
  } else {
    // A caller-owned instance (tests, or two replicas sharing one embedded engine): not closed here.
    db = (await drizzlePglite())(target.pglite, { schema }) as unknown as Db<TSchema>;
    engine = 'pglite';
    closeEngine = async () => {};
    stats = embeddedStats;
  }

  return {
    db,
    engine,
    service,
    migrate: () => runMigrations(db, { service, migrationsFolder }),
    async checkReady() {
      await db.execute(sql`select 1`);
      const report = await migrationStatus(db, { service, migrationsFolder });
      if (report.pending.length > 0) {
        throw new Error(`${report.pending.length} migration(s) not applied`);
      }
      return report;
    },
    stats,
    async close() {
      if (closed) return;
      closed = true;
      await closeEngine();
    },
  };
}

/**
 * The embedded engine and its driver are loaded only when a service uses them: a service on a
 * server (or on the shared embedded database, over the wire) never pays for loading them.
 */
async function drizzlePglite() {
  return (await import('drizzle-orm/pglite')).drizzle;
}
