import type { Db } from '@tongban/db';
import { eq, inArray, sql } from 'drizzle-orm';
import { loginFailures } from '../schema.js';

export async function lockedUntil(
  db: Db,
  keys: readonly string[],
  now: Date,
): Promise<Date | undefined> {
  const rows = await db
    .select()
    .from(loginFailures)
    .where(inArray(loginFailures.key, [...keys]));
  const locks = rows
    .map((r) => r.lockedUntil)
    .filter((d): d is Date => d !== null && d.getTime() > now.getTime());
  return locks.sort((a, b) => b.getTime() - a.getTime())[0];
}

/**
 * Counts one failure against a key in a single statement (no read-then-write race between
 * replicas): the window restarts when it has passed, and the key locks at the threshold.
 */
export async function recordFailure(
  db: Db,
  key: string,
  {
    now,
    windowMs,
    threshold,
    lockMs,
  }: { now: Date; windowMs: number; threshold: number; lockMs: number },
): Promise<void> {
  const windowStart = new Date(now.getTime() - windowMs).toISOString();
  const lockUntil = new Date(now.getTime() + lockMs).toISOString();
  await db
    .insert(loginFailures)
    .values({
      key,
      failures: 1,
      windowStartedAt: now,
      lockedUntil: threshold <= 1 ? new Date(lockUntil) : null,
    })
    .onConflictDoUpdate({
      target: loginFailures.key,
      set: {
        failures: sql`case when ${loginFailures.windowStartedAt} < ${windowStart}::timestamptz then 1 else ${loginFailures.failures} + 1 end`,
        windowStartedAt: sql`case when ${loginFailures.windowStartedAt} < ${windowStart}::timestamptz then ${now.toISOString()}::timestamptz else ${loginFailures.windowStartedAt} end`,
        lockedUntil: sql`case when (case when ${loginFailures.windowStartedAt} < ${windowStart}::timestamptz then 1 else ${loginFailures.failures} + 1 end) >= ${threshold} then ${lockUntil}::timestamptz else ${loginFailures.lockedUntil} end`,
      },
    });
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.delete(loginFailures).where(eq(loginFailures.key, key));
}
