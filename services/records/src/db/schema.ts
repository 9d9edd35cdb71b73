import { signingKeysTable } from '@tongban/keys';
import { eventsTable, idempotencyKeysTable, outboxTable } from '@tongban/service-kit';
import { deliveriesTable, subscriptionsTable } from '@tongban/webhooks';
import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

export const records = pgSchema('records');

/**
 * The kinds of certified record a department issues (birth record, business licence …). The
 * field schema says what a record holds, so a reader can ask for named fields and the access
 * log can say exactly which fields were read.
 */
export const recordTypes = records.table(
  'record_types',
  {
    code: text('code').primaryKey(),
    issuerDepartment: text('issuer_department').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    /** JSON Schema of the record's fields. */
    fieldSchema: jsonb('field_schema').notNull(),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('record_types_code_format', sql`${t.code} ~ '^[a-z][a-z0-9_]{1,63}$'`),
    check('record_types_version_positive', sql`${t.version} > 0`),
  ],
);

/** Responses of creating POSTs sent with an Idempotency-Key, replayed to retries for 24 h. */
export const idempotencyKeys = idempotencyKeysTable(records);

/** Records' own Ed25519 signing keys (record certificates, access-log checkpoints). */
export const signingKeys = signingKeysTable(records);

/** Every state change, append-only; and what of it still has to leave the service. */
export const events = eventsTable(records);
export const outbox = outboxTable(records);

/** Webhook subscriptions of department systems, and each event's delivery to each of them. */
export const subscriptions = subscriptionsTable(records);
export const deliveries = deliveriesTable(records);
