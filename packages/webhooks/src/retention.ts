import type { Db } from '@tongban/db';
import { and, eq, isNotNull, lt, sql } from 'drizzle-orm';
import type { WebhookTables } from './dispatch.js';

export interface RetentionPolicy {
  /** Dispatched outbox rows: the event itself stays in the append-only event log. */
  readonly outboxMs: number;
  /** Delivered deliveries: kept a while so a subscriber's dispute can be checked. */
  readonly deliveredMs: number;
  /** Dead deliveries: kept longer, for the owning department to look into. */
  readonly deadMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  outboxMs: 7 * 86_400_000,
  deliveredMs: 7 * 86_400_000,
  deadMs: 30 * 86_400_000,
};

/**
 * Deletes what delivery no longer needs, in batches, skipping rows another replica or a delivery
 * pass holds (SKIP LOCKED), so every replica may run it. Undispatched outbox rows and pending
 * deliveries are never touched. Returns how many rows it deleted.
 */
export async function sweepDelivered(options: {
  readonly db: Db;
  readonly tables: WebhookTables;
  readonly now: Date;
  readonly policy?: RetentionPolicy;
  readonly limit?: number;
}): Promise<number> {
  const { db, now } = options;
  const { outbox, deliveries } = options.tables;
  const policy = options.policy ?? DEFAULT_RETENTION;
  const limit = options.limit ?? 1000;
  const before = (ms: number) => new Date(now.getTime() - ms);

  const oldOutbox = db
    .select({ eventId: outbox.eventId })
    .from(outbox)
    .where(and(isNotNull(outbox.dispatchedAt), lt(outbox.dispatchedAt, before(policy.outboxMs))))
    .limit(limit)
    .for('update', { skipLocked: true });
  const outboxDeleted = await db
    .delete(outbox)
    .where(sql`${outbox.eventId} in (${oldOutbox})`)
    .returning({ eventId: outbox.eventId });

  let deliveriesDeleted = 0;
  for (const [status, ms] of [
    ['delivered', policy.deliveredMs],
    ['dead', policy.deadMs],
  ] as const) {
    const old = db
      .select({ eventId: deliveries.eventId, subscriptionId: deliveries.subscriptionId })
      .from(deliveries)
      .where(and(eq(deliveries.status, status), lt(deliveries.createdAt, before(ms))))
      .limit(limit)
      .for('update', { skipLocked: true });
    const deleted = await db
      .delete(deliveries)
      .where(sql`(${deliveries.eventId}, ${deliveries.subscriptionId}) in (${old})`)
      .returning({ eventId: deliveries.eventId });
    deliveriesDeleted += deleted.length;
  }
  return outboxDeleted.length + deliveriesDeleted;
}
