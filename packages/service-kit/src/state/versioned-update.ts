import type { Db } from '@tongban/db';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable, PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { type ApiError, errors } from '../errors.js';

type VersionedTable = PgTable & { readonly id: PgColumn; readonly version: PgColumn };

export interface VersionedUpdate<TTable extends VersionedTable> {
  readonly table: TTable;
  readonly id: string;
  /** The versions the caller may overwrite (from If-Match or an earlier read); undefined: any. */
  readonly versions: readonly number[] | undefined;
  readonly set: PgUpdateSetSource<TTable>;
  /** Further conditions, e.g. the states the change is allowed from. */
  readonly where?: SQL | undefined;
  /** The error when the row exists at an accepted version but `where` refuses it. */
  readonly refused: (current: TTable['$inferSelect']) => ApiError;
  readonly notFound?: () => ApiError;
  readonly conflict?: () => ApiError;
}

/**
 * One conditional `UPDATE … WHERE id AND version AND … RETURNING` that also bumps the version, so
 * of two writers holding the same version exactly one wins. Only when nothing was updated is the
 * row read, to say why: gone (404 `not_found`), moved on (412 `version_conflict`), or refused.
 */
export async function updateVersioned<TTable extends VersionedTable>(
  db: Db,
  update: VersionedUpdate<TTable>,
): Promise<TTable['$inferSelect']> {
  const { table, id, versions } = update;
  if (versions !== undefined && versions.length === 0) {
    // No tag names this resource: nothing to update, but 404 still beats 412.
    await explain(db, update);
  }
  const conditions = [
    eq(table.id, id),
    versions === undefined ? undefined : inArray(table.version, [...versions]),
    update.where,
  ];
  const updated = (await db
    .update(table)
    .set({ ...update.set, version: sql`${table.version} + 1` } as PgUpdateSetSource<TTable>)
    .where(and(...conditions))
    .returning()) as TTable['$inferSelect'][];
  const [row] = updated;
  if (row !== undefined) return row;
  return explain(db, update);
}

async function explain<TTable extends VersionedTable>(
  db: Db,
  update: VersionedUpdate<TTable>,
): Promise<never> {
  const { table, id, versions } = update;
  const [current] = (await db
    .select()
    .from(table as PgTable)
    .where(eq(table.id, id))
    .limit(1)) as TTable['$inferSelect'][];
  if (current === undefined) throw (update.notFound ?? (() => errors.notFound()))();
  const version = (current as { version: number }).version;
  if (versions !== undefined && !versions.includes(version)) {
    throw (
      update.conflict ?? (() => errors.versionConflict('The resource changed since you read it.'))
    )();
  }
  throw update.refused(current);
}
