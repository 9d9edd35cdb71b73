import type { Db } from '@tongban/db';
import { and, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { loginFailures, loginThrottleEvents, staffKnownAddresses } from '../schema.js';

export type LoginFailureRow = typeof loginFailures.$inferSelect;

export async function failureRows(
  db: Db,
  keys: readonly string[],
): Promise<Map<string, LoginFailureRow>> {
  const rows = await db
    .select()
    .from(loginFailures)
    .where(inArray(loginFailures.key, [...keys]));
  return new Map(rows.map((r) => [r.key, r]));
}

/**
 * Charges one attempt to an account before its password is checked, in one conditional
 * statement: concurrent guesses on every replica cannot together pass the cap. Answers the
 * failures counted so far, or undefined when the account already stands at the cap.
 */
export async function chargeAccount(
  db: Db,
  key: string,
  { now, cap }: { now: Date; cap: number },
): Promise<number | undefined> {
  const [row] = await db
    .insert(loginFailures)
    .values({ key, failures: 1, windowStartedAt: now, lockedUntil: null })
    .onConflictDoUpdate({
      target: loginFailures.key,
      set: { failures: sql`${loginFailures.failures} + 1` },
      setWhere: lt(loginFailures.failures, cap),
    })
    .returning({ failures: loginFailures.failures });
  return row?.failures;
}

/**
 * One more consecutive failure of an (account, address) pair: the pair waits
 * min(2^(n - free - 1), capSeconds) seconds after its n-th failure, nothing for the first `free`.
 */
export async function recordPairFailure(
  db: Db,
  key: string,
  { now, free, capSeconds }: { now: Date; free: number; capSeconds: number },
): Promise<void> {
  const at = now.toISOString();
  const delayAfter = (n: ReturnType<typeof sql>) =>
    sql`case when ${n} <= ${free} then null else ${at}::timestamptz + least(power(2, ${n} - ${free} - 1), ${capSeconds}) * interval '1 second' end`;
  await db
    .insert(loginFailures)
    .values({
      key,
      failures: 1,
      windowStartedAt: now,
      lockedUntil: free >= 1 ? null : new Date(now.getTime() + 1000),
    })
    .onConflictDoUpdate({
      target: loginFailures.key,
      set: {
        failures: sql`${loginFailures.failures} + 1`,
        lockedUntil: delayAfter(sql`${loginFailures.failures} + 1`),
      },
    });
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

export async function clearFailures(db: Db, keys: readonly string[]): Promise<void> {
  await db.delete(loginFailures).where(inArray(loginFailures.key, [...keys]));
}

/** Answers whether the staff member signed in from this address after `since`. */
export async function isKnownAddress(
  db: Db,
  { staffId, address, since }: { staffId: string; address: string; since: Date },
): Promise<boolean> {
  const [row] = await db
    .select({ staffId: staffKnownAddresses.staffId })
    .from(staffKnownAddresses)
    .where(
      and(
        eq(staffKnownAddresses.staffId, staffId),
        eq(staffKnownAddresses.address, address),
        gt(staffKnownAddresses.lastSuccessAt, since),
      ),
    )
    .limit(1);
  return row !== undefined;
}

export async function rememberAddress(
  db: Db,
  { staffId, address, now }: { staffId: string; address: string; now: Date },
): Promise<void> {
  await db
    .insert(staffKnownAddresses)
    .values({ staffId, address, lastSuccessAt: now })
    .onConflictDoUpdate({
      target: [staffKnownAddresses.staffId, staffKnownAddresses.address],
      set: { lastSuccessAt: now },
    });
}

export type ThrottleEventRow = typeof loginThrottleEvents.$inferSelect;

export async function insertThrottleEvent(
  db: Db,
  event: Omit<typeof loginThrottleEvents.$inferInsert, 'id'>,
): Promise<void> {
  await db.insert(loginThrottleEvents).values(event);
}

/** Newest first; `before` is the id the previous page ended at. */
export async function listThrottleEvents(
  db: Db,
  { department, before, limit }: { department: string; before: number | undefined; limit: number },
): Promise<ThrottleEventRow[]> {
  return db
    .select()
    .from(loginThrottleEvents)
    .where(
      and(
        eq(loginThrottleEvents.departmentCode, department),
        before === undefined ? undefined : lt(loginThrottleEvents.id, before),
      ),
    )
    .orderBy(desc(loginThrottleEvents.id))
    .limit(limit);
}
