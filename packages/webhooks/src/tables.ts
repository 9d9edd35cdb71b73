import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** Who wants which events where. The secret is stored sealed (AES-256-GCM, bound to the id). */
export function subscriptionsTable(schema: PgSchema) {
  return schema.table(
    'subscriptions',
    {
      id: uuid('id').primaryKey(),
      ownerDepartment: text('owner_department').notNull(),
      /** `kind:subject` of whoever created it. */
      createdBy: text('created_by').notNull(),
      url: text('url').notNull(),
      eventTypes: text('event_types').array().notNull(),
      secretSealed: text('secret_sealed').notNull(),
      createdAt: ts('created_at').notNull(),
      /** Set by DELETE; pending deliveries of a disabled subscription are not sent. */
      disabledAt: ts('disabled_at'),
    },
    (t) => [index('subscriptions_owner_idx').on(t.ownerDepartment, t.createdAt, t.id)],
  );
}

/** One event to one subscription; the pair is unique, so a re-dispatch cannot double it. */
export function deliveriesTable(schema: PgSchema) {
  return schema.table(
    'deliveries',
    {
      eventId: uuid('event_id').notNull(),
      subscriptionId: uuid('subscription_id').notNull(),
      eventType: text('event_type').notNull(),
      /** The webhook body's `data` and `timestamp`, copied so delivery never reads the outbox. */
      payload: jsonb('payload').notNull(),
      occurredAt: ts('occurred_at').notNull(),
      status: text('status', { enum: ['pending', 'delivered', 'dead'] })
        .notNull()
        .default('pending'),
      attempts: integer('attempts').notNull().default(0),
      nextAttemptAt: ts('next_attempt_at').notNull(),
      /** A worker's claim: until this time no other worker takes the delivery. */
      lockedUntil: ts('locked_until'),
      leaseId: uuid('lease_id'),
      lastStatusCode: integer('last_status_code'),
      lastError: text('last_error'),
      deliveredAt: ts('delivered_at'),
      createdAt: ts('created_at').notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.eventId, t.subscriptionId] }),
      index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
      check('deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'dead')`),
    ],
  );
}

export type SubscriptionsTable = ReturnType<typeof subscriptionsTable>;
export type DeliveriesTable = ReturnType<typeof deliveriesTable>;
