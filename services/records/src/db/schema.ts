import { signingKeysTable } from '@tongban/keys';
import { eventsTable, idempotencyKeysTable, outboxTable } from '@tongban/service-kit';
import { deliveriesTable, subscriptionsTable } from '@tongban/webhooks';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const records = pgSchema('records');

/** Raw bytes (hashes). pg hands back a Buffer and PGlite a Uint8Array; both leave as Uint8Array. */
const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  toDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
  fromDriver: (value) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
});

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
    /** Per top-level field: `basic`, `personal` or `sensitive` (what a policy may release, and how carefully). */
    classification: jsonb('classification')
      .$type<Record<string, 'basic' | 'personal' | 'sensitive'>>()
      .notNull()
      .default({}),
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

/**
 * A certified record a department holds about a resident (`subject_id` is identity's
 * pseudonymous subject id, never the ID-card number). The row is the record's head: its current
 * version and status; the data lives in `record_versions`, which only ever grows.
 */
export const recordsTable = records.table(
  'records',
  {
    id: uuid('id').primaryKey(),
    typeCode: text('type_code')
      .notNull()
      .references(() => recordTypes.code),
    subjectId: text('subject_id').notNull(),
    issuerDepartment: text('issuer_department').notNull(),
    status: text('status', { enum: ['active', 'revoked'] })
      .notNull()
      .default('active'),
    /** The version a normal read returns; bumped by every published version (If-Match). */
    version: integer('version').notNull().default(1),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    revokeReason: text('revoke_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('records_subject_type_idx').on(t.subjectId, t.typeCode, t.createdAt),
    check('records_status_check', sql`${t.status} in ('active', 'revoked')`),
    check('records_version_positive', sql`${t.version} > 0`),
    check(
      'records_revocation_complete',
      sql`(${t.status} = 'revoked') = (${t.revokedAt} is not null and ${t.revokeReason} is not null)`,
    ),
  ],
);

/**
 * Every version of every record, append-only (a trigger refuses UPDATE and DELETE). `digest` is
 * SHA-256 over the RFC 8785 canonical JSON of `data`, base64url, so anyone holding the fields can
 * recompute it.
 */
export const recordVersions = records.table(
  'record_versions',
  {
    recordId: uuid('record_id')
      .notNull()
      .references(() => recordsTable.id),
    version: integer('version').notNull(),
    data: jsonb('data').notNull(),
    digest: text('digest').notNull(),
    /** `kind:subject` of the publisher. */
    publishedBy: text('published_by').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.recordId, t.version] }),
    check('record_versions_version_positive', sql`${t.version} > 0`),
  ],
);

/**
 * Who may read what, for which purpose: reader department × record type × purpose → the fields
 * released, and whether the resident must have consented. No row, no read (deny by default).
 * The purpose `case` covers every case-bound purpose `case:<caseId>`, which also needs a grant.
 */
export const accessPolicies = records.table(
  'access_policies',
  {
    id: uuid('id').primaryKey(),
    readerDepartment: text('reader_department').notNull(),
    typeCode: text('type_code')
      .notNull()
      .references(() => recordTypes.code),
    purpose: text('purpose').notNull(),
    fields: text('fields').array().notNull(),
    consentRequired: boolean('consent_required').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    /** A withdrawn policy stays for the history; reads stop at once. */
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('access_policies_active_idx')
      .on(t.readerDepartment, t.typeCode, t.purpose)
      .where(sql`${t.withdrawnAt} is null`),
  ],
);

/** A resident's consent: this department may read this type of their records for this purpose until then. */
export const consents = records.table(
  'consents',
  {
    id: uuid('id').primaryKey(),
    subjectId: text('subject_id').notNull(),
    department: text('department').notNull(),
    typeCode: text('type_code')
      .notNull()
      .references(() => recordTypes.code),
    purpose: text('purpose').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    index('consents_subject_idx').on(t.subjectId, t.createdAt),
    index('consents_lookup_idx').on(t.subjectId, t.department, t.typeCode, t.purpose),
  ],
);

/**
 * The access log: one entry per read of a record and per refused read, written in the
 * transaction that releases the data (no entry, no data). Rows are never changed, except that
 * the sequencer sets `leaf_index` once; a trigger refuses everything else. The entry's leaf in
 * the Merkle tree is the RFC 8785 canonical JSON of its published fields, so editing, deleting
 * or reordering a row breaks the signed checkpoints.
 */
export const accessLog = records.table(
  'access_log',
  {
    id: uuid('id').primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    /** Whose data: the record's subject (null when a refused read named no existing record). */
    subjectId: text('subject_id'),
    /** `staff` | `client` | `resident`, and who. */
    readerKind: text('reader_kind').notNull(),
    reader: text('reader').notNull(),
    readerDepartment: text('reader_department'),
    purpose: text('purpose').notNull(),
    caseId: text('case_id'),
    recordId: uuid('record_id'),
    typeCode: text('type_code'),
    recordVersion: integer('record_version'),
    fields: text('fields').array().notNull(),
    outcome: text('outcome', { enum: ['released', 'denied'] }).notNull(),
    /** The error code of a refused read. */
    denialCode: text('denial_code'),
    requestId: text('request_id'),
    /** Position in the Merkle tree; null until the sequencer has taken the entry. */
    leafIndex: bigint('leaf_index', { mode: 'number' }),
  },
  (t) => [
    uniqueIndex('access_log_leaf_idx').on(t.leafIndex),
    index('access_log_unsequenced_idx').on(t.occurredAt, t.id).where(sql`${t.leafIndex} is null`),
    index('access_log_subject_idx').on(t.subjectId, t.occurredAt),
    index('access_log_department_idx').on(t.readerDepartment, t.occurredAt),
    check('access_log_outcome_check', sql`${t.outcome} in ('released', 'denied')`),
  ],
);

/**
 * Hashes of the Merkle tree's perfect subtrees (RFC 9162 §2.1.1): level 0 holds leaf hashes,
 * level k the root of the 2^k leaves starting at index × 2^k. Proofs read O(log n) rows.
 */
export const accessLogNodes = records.table(
  'access_log_nodes',
  {
    level: integer('level').notNull(),
    index: bigint('index', { mode: 'number' }).notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.index] })],
);

/** Signed tree heads (`tb-log-head+jwt`), one per tree size the sequencer reached. */
export const accessLogCheckpoints = records.table('access_log_checkpoints', {
  treeSize: bigint('tree_size', { mode: 'number' }).primaryKey(),
  rootHash: bytea('root_hash').notNull(),
  /** The compact JWS the service published for this size. */
  jws: text('jws').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});
