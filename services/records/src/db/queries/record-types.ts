import type { Db } from '@tongban/db';
import { asc, gt } from 'drizzle-orm';
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
