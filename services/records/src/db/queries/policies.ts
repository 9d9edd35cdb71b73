import type { Db } from '@tongban/db';
import { and, asc, eq, gt, isNotNull, isNull } from 'drizzle-orm';
import { accessPolicies } from '../schema.js';

export type PolicyRow = typeof accessPolicies.$inferSelect;

export async function insertPolicy(
  db: Db,
  values: typeof accessPolicies.$inferInsert,
): Promise<PolicyRow | undefined> {
  // The partial unique index allows one active policy per (department, type, purpose).
  const [row] = await db.insert(accessPolicies).values(values).onConflictDoNothing().returning();
  return row;
}

export async function findPolicy(db: Db, id: string): Promise<PolicyRow | undefined> {
  const [row] = await db.select().from(accessPolicies).where(eq(accessPolicies.id, id)).limit(1);
  return row;
}

/** Sets `withdrawn_at` once; undefined when the policy was already withdrawn (or is gone). */
export async function withdrawPolicyRow(
  db: Db,
  id: string,
  at: Date,
): Promise<PolicyRow | undefined> {
  const [row] = await db
    .update(accessPolicies)
    .set({ withdrawnAt: at })
    .where(and(eq(accessPolicies.id, id), isNull(accessPolicies.withdrawnAt)))
    .returning();
  return row;
}

export function listPolicies(
  db: Db,
  filter: {
    readonly typeCode: string | undefined;
    readonly readerDepartment: string | undefined;
    readonly status: 'active' | 'withdrawn' | undefined;
    readonly after: string | undefined;
    readonly limit: number;
  },
): Promise<PolicyRow[]> {
  return db
    .select()
    .from(accessPolicies)
    .where(
      and(
        filter.typeCode === undefined ? undefined : eq(accessPolicies.typeCode, filter.typeCode),
        filter.readerDepartment === undefined
          ? undefined
          : eq(accessPolicies.readerDepartment, filter.readerDepartment),
        filter.status === undefined
          ? undefined
          : filter.status === 'active'
            ? isNull(accessPolicies.withdrawnAt)
            : isNotNull(accessPolicies.withdrawnAt),
        filter.after === undefined ? undefined : gt(accessPolicies.id, filter.after),
      ),
    )
    .orderBy(asc(accessPolicies.id))
    .limit(filter.limit);
}
