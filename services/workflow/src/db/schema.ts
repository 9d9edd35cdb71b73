import { signingKeysTable } from '@tongban/keys';
import { eventsTable, idempotencyKeysTable, outboxTable } from '@tongban/service-kit';
import { deliveriesTable, subscriptionsTable } from '@tongban/webhooks';
import { sql } from 'drizzle-orm';
import { check, integer, jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const workflow = pgSchema('workflow');

/**
 * The service catalogue. A definition is immutable once published; a change is a new version,
 * so a case always runs on the exact definition it was opened under.
 */
export const serviceDefinitions = workflow.table(
  'service_definitions',
  {
    code: text('code').notNull(),
    version: integer('version').notNull(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    /**
     * The whole definition as published (code, names, description, form, record types, steps):
     * steps, their departments, dependencies, required records and SLA in working days.
     */
    definition: jsonb('definition').notNull(),
    /** base64url SHA-256 of the definition's RFC 8785 form: publishing the same content again is a no-op. */
    digest: text('digest').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.code, t.version] }),
    check('service_definitions_code_format', sql`${t.code} ~ '^[a-z][a-z0-9_]{1,63}$'`),
    check('service_definitions_version_positive', sql`${t.version} > 0`),
  ],
);

/** Workflow's own Ed25519 signing keys (case grants). */
export const signingKeys = signingKeysTable(workflow);

/** Responses of creating POSTs sent with an Idempotency-Key, replayed to retries for 24 h. */
export const idempotencyKeys = idempotencyKeysTable(workflow);

/** Every state change, append-only; and what of it still has to leave the service. */
export const events = eventsTable(workflow);
export const outbox = outboxTable(workflow);

/** Webhook subscriptions of department systems, and each event's delivery to each of them. */
export const subscriptions = subscriptionsTable(workflow);
export const deliveries = deliveriesTable(workflow);
