import type { Db } from '@tongban/db';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { accessPolicies, recordsTable, recordTypes, recordVersions } from '../schema.js';

export type RecordRow = typeof recordsTable.$inferSelect;
export type RecordVersionRow = typeof recordVersions.$inferSelect;

/** A record's head and the version it points at. */
export interface RecordWithVersion {
  readonly head: RecordRow;
  readonly version: RecordVersionRow;
}

/** Writes a new record: its head and its first version (the caller's transaction). */
export async function insertRecord(
  db: Db,
  head: typeof recordsTable.$inferInsert,
  version: typeof recordVersions.$inferInsert,
): Promise<RecordWithVersion> {
  const [headRow] = await db.insert(recordsTable).values(head).returning();
  const [versionRow] = await db.insert(recordVersions).values(version).returning();
  if (headRow === undefined || versionRow === undefined) throw new Error('insert returned no row');
  return { head: headRow, version: versionRow };
}

/** Appends a version; `record_versions` only ever grows (a trigger refuses UPDATE and DELETE). */
export async function appendRecordVersion(
  db: Db,
  version: typeof recordVersions.$inferInsert,
): Promise<RecordVersionRow> {
  const [row] = await db.insert(recordVersions).values(version).returning();
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

/**
 * A record as its issuing department sees it: the head only when `issuerDepartment` issued it.
 * The write verbs fetch through this, so another department's record is simply not found.
 */
export async function findIssuedRecord(
  db: Db,
  { id, issuerDepartment }: { id: string; issuerDepartment: string },
): Promise<RecordRow | undefined> {
  const [row] = await db
    .select()
    .from(recordsTable)
    .where(and(eq(recordsTable.id, id), eq(recordsTable.issuerDepartment, issuerDepartment)))
    .limit(1);
  return row;
}

/** One version of a record. */
export async function findRecordVersion(
  db: Db,
  { recordId, version }: { recordId: string; version: number },
): Promise<RecordVersionRow | undefined> {
  const [row] = await db
    .select()
    .from(recordVersions)
    .where(and(eq(recordVersions.recordId, recordId), eq(recordVersions.version, version)))
    .limit(1);
  return row;
}

/**
 * Marks an active record revoked, in one conditional update: only while it is active, issued by
 * `issuerDepartment`, and (when `versions` is given, from If-Match) at one of those versions. The
 * version stays: it counts the record's data versions, and revocation adds none. Undefined when
 * nothing matched; the caller reads again to say why.
 */
export async function revokeActiveRecord(
  db: Db,
  input: {
    id: string;
    issuerDepartment: string;
    versions: readonly number[] | undefined;
    reason: string;
    at: Date;
  },
): Promise<RecordRow | undefined> {
  const [row] = await db
    .update(recordsTable)
    .set({
      status: 'revoked',
      revokedAt: input.at,
      revokeReason: input.reason,
      updatedAt: input.at,
    })
    .where(
      and(
        eq(recordsTable.id, input.id),
        eq(recordsTable.issuerDepartment, input.issuerDepartment),
        eq(recordsTable.status, 'active'),
        input.versions === undefined
          ? undefined
          : inArray(recordsTable.version, [...input.versions]),
      ),
    )
    .returning();
  return row;
}

/**
 * For each record type code: the departments that may learn about its records, that is the
 * issuer and every department with an access policy for the type that is not withdrawn.
 */
export async function recordTypeReaders(
  db: Db,
  typeCodes: readonly string[],
): Promise<Map<string, Set<string>>> {
  const readers = new Map<string, Set<string>>();
  if (typeCodes.length === 0) return readers;
  const rows = await db
    .select({ typeCode: recordTypes.code, department: recordTypes.issuerDepartment })
    .from(recordTypes)
    .where(inArray(recordTypes.code, [...typeCodes]))
    .unionAll(
      db
        .select({ typeCode: accessPolicies.typeCode, department: accessPolicies.readerDepartment })
        .from(accessPolicies)
        .where(
          and(inArray(accessPolicies.typeCode, [...typeCodes]), isNull(accessPolicies.withdrawnAt)),
        ),
    );
  for (const { typeCode, department } of rows) {
    const set = readers.get(typeCode) ?? new Set<string>();
    set.add(department);
    readers.set(typeCode, set);
  }
  return readers;
}
