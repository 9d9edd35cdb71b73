import type { Db } from '@tongban/db';
import { inTransaction, type OutboxTable } from '@tongban/service-kit';
import { and, asc, inArray, isNull, sql } from 'drizzle-orm';
import type { DeliveriesTable, SubscriptionsTable } from './tables.js';

export interface WebhookTables {
  readonly outbox: OutboxTable;
  readonly subscriptions: SubscriptionsTable;
  readonly deliveries: DeliveriesTable;
}

/**
 * Fans undispatched outbox rows out into one delivery per matching subscription and marks them
 * dispatched, in one transaction. Rows another replica is dispatching are skipped (SKIP LOCKED),
 * and the (event, subscription) key makes a repeated fan-out a no-op, so every replica may run it.
 * Returns how many outbox rows it dispatched.
 */
export async function dispatchOutbox(options: {
  readonly db: Db;
  readonly tables: WebhookTables;
  readonly now: Date;
  readonly limit?: number;
}): Promise<number> {
  const { db, now } = options;
  const { outbox, subscriptions, deliveries } = options.tables;
  return db.transaction((tx) =>
    inTransaction(tx, async () => {
      const events = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.dispatchedAt))
        .orderBy(asc(outbox.createdAt))
        .limit(options.limit ?? 100)
        .for('update', { skipLocked: true });
      if (events.length === 0) return 0;
      const types = [...new Set(events.map((e) => e.type))];
      const subs = await tx
        .select({
          id: subscriptions.id,
          ownerDepartment: subscriptions.ownerDepartment,
          eventTypes: subscriptions.eventTypes,
          createdAt: subscriptions.createdAt,
        })
        .from(subscriptions)
        .where(
          and(
            isNull(subscriptions.disabledAt),
            sql`${subscriptions.eventTypes} && ${sql`array[${sql.join(
              types.map((t) => sql`${t}`),
              sql`, `,
            )}]::text[]`}`,
          ),
        );
      const rows = events.flatMap((event) =>
        subs
          .filter(
            (s) =>
              s.eventTypes.includes(event.type) &&
              (event.audience === null || event.audience === s.ownerDepartment),
          )
          .map((s) => ({
            eventId: event.eventId,
            subscriptionId: s.id,
            eventType: event.type,
            payload: event.payload,
            occurredAt: event.createdAt,
            nextAttemptAt: now,
            createdAt: now,
          })),
      );
      if (rows.length > 0) await tx.insert(deliveries).values(rows).onConflictDoNothing();
      await tx
        .update(outbox)
        .set({ dispatchedAt: now })
        .where(
          inArray(
            outbox.eventId,
            events.map((e) => e.eventId),
          ),
        );
      return events.length;
    }),
  );
}
