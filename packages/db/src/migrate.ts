import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

// Applied migrations are recorded per service in tongban_migrations.<service>, in the same shape
// drizzle-kit uses (id, hash, created_at), so `drizzle-kit migrate` with the same settings agrees.
export const MIGRATIONS_SCHEMA = 'tongban_migrations';

type AnyDb = PgDatabase<PgQueryResultHKT, Record<string, unknown>>;

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly pending: readonly string[];
  /** Migrations this call applied (empty when another replica had already done it). */
  readonly ranNow: readonly string[];
}

interface Options {
  readonly service: string;
  readonly migrationsFolder: string;
}

interface AppliedRow extends Record<string, unknown> {
  hash: string;
  created_at: string | number;
}

/**
 * Applies the service's pending migrations in one transaction that first takes a
 * transaction-scoped advisory lock: replicas (and other services) starting together queue on it, and the one
 * that follows sees the work done and applies nothing. A migration whose file changed after it
 * was applied stops the start, since the schema would no longer match the code.
 */
export async function runMigrations(db: AnyDb, options: Options): Promise<MigrationReport> {
  const files = readMigrationFiles({ migrationsFolder: options.migrationsFolder });
  const table = sql`${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(options.service)}`;
  return db.transaction(async (tx) => {
    // One lock for every service, not one per service: services sharing a database also share
    // the tongban_migrations schema, and concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('tongban.migrate'))`);
    await tx.execute(sql`create schema if not exists ${sql.identifier(MIGRATIONS_SCHEMA)}`);
    await tx.execute(
      sql`create table if not exists ${table} (id serial primary key, hash text not null, created_at bigint not null, applied_at timestamptz not null default now())`,
    );
    const applied = rowsOf<AppliedRow>(
      await tx.execute(sql`select hash, created_at from ${table} order by created_at, id`),
    );
    assertHistoryMatches(applied, files, options.service);
    const pending = files.slice(applied.length);
    for (const migration of pending) {
      for (const statement of migration.sql) {
        if (statement.trim() !== '') await tx.execute(sql.raw(statement));
      }
      await tx.execute(
        sql`insert into ${table} (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
      );
    }
    return {
      applied: files.map((f) => f.hash),
      pending: [],
      ranNow: pending.map((f) => f.hash),
    };
  });
}

export async function migrationStatus(db: AnyDb, options: Options): Promise<MigrationReport> {
  const files = readMigrationFiles({ migrationsFolder: options.migrationsFolder });
  const exists = rowsOf<{ present: boolean }>(
    await db.execute(
      sql`select to_regclass(${`${MIGRATIONS_SCHEMA}.${options.service}`}) is not null as present`,
    ),
  );
  const applied =
    exists[0]?.present === true
      ? rowsOf<AppliedRow>(
          await db.execute(
            sql`select hash, created_at from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(options.service)} order by created_at, id`,
          ),
        )
      : [];
  assertHistoryMatches(applied, files, options.service);
  return {
    applied: applied.map((r) => r.hash),
    pending: files.slice(applied.length).map((f) => f.hash),
    ranNow: [],
  };
}

function assertHistoryMatches(
  applied: readonly AppliedRow[],
  files: readonly { hash: string }[],
  service: string,
): void {
  // A database ahead of this build is normal during a rolling update (expand/contract: the new
  // release migrated, old pods still serve) and after a rollback: the shared prefix must match.
  applied.slice(0, files.length).forEach((row, i) => {
    if (row.hash !== files[i]?.hash) {
      throw new Error(`${service}: migration ${i} was changed after it was applied`);
    }
  });
}

// node-postgres returns { rows }, PGlite returns { rows } too; drizzle passes them through.
function rowsOf<T>(result: unknown): T[] {
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
