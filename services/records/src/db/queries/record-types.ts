import type { Db } from '@tongban/db';
import { asc, eq, gt } from 'drizzle-orm';
import { recordTypes } from '../schema.js';

export type RecordTypeRow = typeof recordTypes.$inferSelect;

export function listRecordTypes(
  db: Db,
  { after, limit }: { after: string | undefined; limit: number },
): Promise<RecordTypeRow[]> {
  return db
    .select()
    .from(recordTypes)
    .where(after === undefined ? undefined : gt(recordTypes.code, after))
    .orderBy(asc(recordTypes.code))
    .limit(limit);
}

/** A record type by code (types are public: no scoping). */
export async function findRecordType(db: Db, code: string): Promise<RecordTypeRow | undefined> {
  const [row] = await db.select().from(recordTypes).where(eq(recordTypes.code, code)).limit(1);
  return row;
}
