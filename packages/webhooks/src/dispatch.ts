import type { Db } from '@tongban/db';
import { inTransaction, type OutboxTable } from '@tongban/service-kit';
import { and, asc, inArray, isNull, sql } from 'drizzle-orm';
import type { DeliveriesTable, SubscriptionsTable } from './tables.js';

export interface WebhookTables {
  readonly outbox: OutboxTable;
  readonly subscriptions: SubscriptionsTable;
  readonly deliveries: DeliveriesTable;
}

/** An outbox row as dispatch reads it. */
export type OutboxEvent = OutboxTable['$inferSelect'];

/** The part of a subscription an audience rule may look at. */
export interface SubscriptionAudience {
  readonly id: string;
  readonly ownerDepartment: string;
}

/**
 * Who may receive the events of one dispatch batch, beyond subscribing to their type and the
 * event's own `audience`. Called once per batch inside the dispatch transaction (so it reads the
 * same snapshot the fan-out writes from, and can query the service's own tables with `db`); it
 * returns the per-pair decision. A pair it refuses gets no delivery row, now or later: the event
 * is marked dispatched all the same. Without one, every subscriber of the type may receive.
 */
export type MayReceive = (batch: {
  readonly db: Db;
  readonly events: readonly OutboxEvent[];
  readonly now: Date;
}) => Promise<(event: OutboxEvent, subscription: SubscriptionAudience) => boolean>;

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
  /** Narrows each event's audience per subscription; see MayReceive. */
  readonly mayReceive?: MayReceive | undefined;
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
      const mayReceive =
        subs.length === 0 || options.mayReceive === undefined
          ? () => true
          : await options.mayReceive({ db: tx, events, now });
      const rows = events.flatMap((event) =>
        subs
          .filter(
            (s) =>
              s.eventTypes.includes(event.type) &&
              (event.audience === null || event.audience === s.ownerDepartment) &&
              mayReceive(event, s),
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
