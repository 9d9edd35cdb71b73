import type { Db } from '@tongban/db';
import { asc, gt } from 'drizzle-orm';
import { departments } from '../schema.js';

export type DepartmentRow = typeof departments.$inferSelect;

export function listDepartments(
  db: Db,
  { after, limit }: { after: string | undefined; limit: number },
): Promise<DepartmentRow[]> {
  return db
    .select()
    .from(departments)
    .where(after === undefined ? undefined : gt(departments.code, after))
    .orderBy(asc(departments.code))
    .limit(limit);
}
