import { sql } from 'drizzle-orm';
import { check, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

export const identity = pgSchema('identity');

/** Departments of the city; staff, clients and verifiers all belong to one. */
export const departments = identity.table(
  'departments',
  {
    code: text('code').primaryKey(),
    nameZh: text('name_zh').notNull(),
    nameEn: text('name_en').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('departments_code_format', sql`${t.code} ~ '^[a-z][a-z0-9_]{1,39}$'`)],
);
