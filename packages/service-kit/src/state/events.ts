import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, type PgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { ActorRef, RequestContext } from './context.js';
import { isOpenTransaction } from './transaction.js';

/**
 * The service's append-only event log: one row per state change, written in the change's
 * transaction. A migration adds a trigger that refuses UPDATE and DELETE on it.
 */
export function eventsTable(schema: PgSchema) {
  return schema.table(
    'events',
    {
      id: uuid('id').primaryKey(),
      aggregateType: text('aggregate_type').notNull(),
      aggregateId: text('aggregate_id').notNull(),
      /** The aggregate's version after the change, when it has one. */
      aggregateVersion: integer('aggregate_version'),
      type: text('type').notNull(),
      /** `kind:subject` of who made the change, or `system`. */
      actor: text('actor').notNull(),
      actorDepartment: text('actor_department'),
      requestId: text('request_id'),
      data: jsonb('data').notNull(),
      occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    },
    (t) => [
      index('events_aggregate_idx').on(t.aggregateType, t.aggregateId, t.occurredAt),
      index('events_occurred_at_idx').on(t.occurredAt),
    ],
  );
}

/**
 * The transactional outbox: what still has to leave the service. The event id is the id
 * subscribers see (`webhook-id`), the same on every retry, so they can drop duplicates.
 */
export function outboxTable(schema: PgSchema) {
  return schema.table(
    'outbox',
    {
      eventId: uuid('event_id').primaryKey(),
      type: text('type').notNull(),
      /** Only subscriptions of this department receive the event; null: any subscriber of the type. */
      audience: text('audience'),
      payload: jsonb('payload').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
      /** Set once the event has been fanned out to its subscriptions' deliveries. */
      dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    },
    (t) => [index('outbox_pending_idx').on(t.createdAt).where(sql`${t.dispatchedAt} is null`)],
  );
}

export type EventsTable = ReturnType<typeof eventsTable>;
export type OutboxTable = ReturnType<typeof outboxTable>;

export interface ChangeRecord {
  readonly aggregate: { readonly type: string; readonly id: string; readonly version?: number };
  /** `<aggregate>.<past-tense verb>`, e.g. `credential.revoked`. */
  readonly type: string;
  /** What subscribers and auditors see: plain JSON, no secrets, no personal data beyond need. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Restricts delivery to subscriptions of one department. */
  readonly audience?: string | undefined;
}

export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly occurredAt: Date;
}

export type RecordChange = (
  ctx: RequestContext<ActorRef | undefined>,
  change: ChangeRecord,
) => Promise<RecordedEvent>;

/**
 * `recordChange` bound to a service's tables. It writes the event and its outbox row with the
 * context's transaction, so they exist exactly when the change does; outside a transaction it
 * refuses, because then the change and its event could part.
 */
export function changeRecorder(tables: {
  readonly events: EventsTable;
  readonly outbox: OutboxTable;
}): RecordChange {
  return async (ctx, change) => {
    if (!isOpenTransaction(ctx.db)) {
      throw new Error('recordChange must run inside withTransaction');
    }
    const occurredAt = ctx.clock();
    const id = uuidV7(occurredAt);
    const { aggregate } = change;
    await ctx.db.insert(tables.events).values({
      id,
      aggregateType: aggregate.type,
      aggregateId: aggregate.id,
      aggregateVersion: aggregate.version ?? null,
      type: change.type,
      actor: ctx.actor === undefined ? 'system' : `${ctx.actor.kind}:${ctx.actor.subject}`,
      actorDepartment: ctx.actor?.department ?? null,
      requestId: ctx.requestId,
      data: change.data,
      occurredAt,
    });
    await ctx.db.insert(tables.outbox).values({
      eventId: id,
      type: change.type,
      audience: change.audience ?? null,
      payload: {
        aggregate: {
          type: aggregate.type,
          id: aggregate.id,
          ...(aggregate.version === undefined ? {} : { version: aggregate.version }),
        },
        ...change.data,
      },
      createdAt: occurredAt,
    });
    return { id, type: change.type, occurredAt };
  };
}

let lastMs = -1n;
let counter = 0;

/**
 * RFC 9562 UUIDv7: 48 bits of Unix milliseconds, a 12-bit counter (§6.2, method 1), then random
 * bits. Within this process ids are strictly increasing, also for many in one millisecond (a
 * transaction's events, a frozen test clock) and when the clock steps back, so the events of one
 * change sort in the order they were written.
 */
export function uuidV7(at: Date): string {
  const bytes = randomBytes(16);
  let ms = BigInt(Math.max(0, Math.trunc(at.getTime())));
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = lastMs + 1n;
      counter = 0;
    }
  } else {
    // A fresh millisecond starts the counter low and random, leaving room to count up.
    counter = (bytes[6] ?? 0) & 0x07;
  }
  lastMs = ms;
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** For metrics: how many outbox rows wait to be dispatched, and how long the oldest has waited. */
export async function outboxBacklog(options: {
  readonly db: RequestContext['db'];
  readonly outbox: OutboxTable;
  readonly now: Date;
}): Promise<{ readonly pending: number; readonly oldestAgeSeconds: number }> {
  const { outbox } = options;
  const [row] = await options.db
    .select({
      pending: sql<number>`count(*)::int`,
      oldestEpoch: sql<string | null>`extract(epoch from min(${outbox.createdAt}))::text`,
    })
    .from(outbox)
    .where(sql`${outbox.dispatchedAt} is null`);
  const oldest = row?.oldestEpoch == null ? undefined : Number(row.oldestEpoch);
  return {
    pending: Number(row?.pending ?? 0),
    oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, options.now.getTime() / 1000 - oldest),
  };
}
