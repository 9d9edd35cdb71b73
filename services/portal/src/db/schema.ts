import { sql } from 'drizzle-orm';
import { check, index, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

export const portal = pgSchema('portal');

/**
 * Browser sessions of the gateway. The cookie holds a random id; only its SHA-256 is stored, so
 * a copy of this table cannot be replayed as cookies. Tokens never reach browser storage.
 */
export const sessions = portal.table(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    actorKind: text('actor_kind').notNull(),
    actorId: text('actor_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    check('sessions_actor_kind', sql`${t.actorKind} in ('resident', 'staff')`),
    index('sessions_expires_at_idx').on(t.expiresAt),
  ],
);
