import { dpopProofsTable } from '@tongban/dpop';
import { signingKeysTable } from '@tongban/keys';
import { eventsTable, idempotencyKeysTable, outboxTable } from '@tongban/service-kit';
import { deliveriesTable, subscriptionsTable } from '@tongban/webhooks';
import { sql } from 'drizzle-orm';
import {
  check,
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

/** DPoP proof ids seen on resident routes, kept until the proof could no longer be accepted. */
export const proofJtis = dpopProofsTable(workflow);

/** Webhook subscriptions of department systems, and each event's delivery to each of them. */
export const subscriptions = subscriptionsTable(workflow);
export const deliveries = deliveriesTable(workflow);

/** Where a case stands. Final: approved, rejected, withdrawn. */
export const CASE_STATUSES = [
  'in_progress',
  'awaiting_information',
  'approved',
  'rejected',
  'withdrawn',
] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/**
 * Where a task stands: `waiting` until every step it depends on is approved, then `open` in its
 * department's queue; `awaiting_information` while its department waits on the resident; then
 * decided (`approved`, `rejected`) or `cancelled` when the case ends another way.
 */
export const TASK_STATUSES = [
  'waiting',
  'open',
  'awaiting_information',
  'approved',
  'rejected',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** A stopped clock: from when the case waited on the resident to when the answer arrived. */
export interface StoredPause {
  readonly from: string;
  readonly to: string | null;
}

/** A record the case pulled at submission (its reference, not its data), or one that was missing. */
export interface StoredRecordRef {
  readonly type: string;
  readonly step: string;
  readonly recordId: string | null;
  readonly version: number | null;
  readonly digest: string | null;
  readonly issuerDepartment: string | null;
}

const tsz = (name: string) => timestamp(name, { withTimezone: true });

/**
 * A resident's application for a catalogue service, on the definition version it started with.
 * Every change to the case or to any of its tasks bumps `version` in the same transaction, so a
 * conditional update on the version settles every race (two decisions, the join of parallel
 * steps, a withdrawal against a decision).
 */
export const cases = workflow.table(
  'cases',
  {
    id: uuid('id').primaryKey(),
    /** Human-readable, e.g. TB2026-000123: prefix, year of submission (city time), yearly counter. */
    number: text('number').notNull(),
    /** Unguessable, printed on the receipt; opens the public tracking page. */
    trackingCode: text('tracking_code').notNull(),
    serviceCode: text('service_code').notNull(),
    serviceVersion: integer('service_version').notNull(),
    subjectId: text('subject_id').notNull(),
    /** `resident` (for themselves) or `staff` (a counter clerk on their behalf). */
    submittedByKind: text('submitted_by_kind').notNull(),
    submittedBy: text('submitted_by').notNull(),
    submittedByDepartment: text('submitted_by_department'),
    form: jsonb('form').notNull(),
    /** Filled once after submission, when the records were pulled; until then empty. */
    records: jsonb('records').$type<StoredRecordRef[]>().notNull().default([]),
    /** When the pull ran; null while it has still to run (the records job retries it). */
    recordsPulledAt: tsz('records_pulled_at'),
    status: text('status').$type<CaseStatus>().notNull(),
    version: integer('version').notNull().default(1),
    /** Working days along the definition's longest path: the case's own time limit. */
    slaWorkingDays: integer('sla_working_days').notNull(),
    dueAt: tsz('due_at'),
    pauses: jsonb('pauses').$type<StoredPause[]>().notNull().default([]),
    submittedAt: tsz('submitted_at').notNull(),
    updatedAt: tsz('updated_at').notNull(),
    completedAt: tsz('completed_at'),
  },
  (t) => [
    uniqueIndex('cases_number_key').on(t.number),
    uniqueIndex('cases_tracking_code_key').on(t.trackingCode),
    index('cases_subject_idx').on(t.subjectId, t.submittedAt, t.id),
    index('cases_records_pending_idx').on(t.submittedAt).where(sql`${t.recordsPulledAt} is null`),
    check('cases_status', sql`${t.status} in ${sql.raw(inList(CASE_STATUSES))}`),
    check('cases_submitted_by_kind', sql`${t.submittedByKind} in ('resident', 'staff')`),
    check('cases_version_positive', sql`${t.version} > 0`),
  ],
);

/** The yearly counter behind case numbers; one row per prefix and year. */
export const caseNumbers = workflow.table(
  'case_numbers',
  {
    prefix: text('prefix').notNull(),
    year: integer('year').notNull(),
    last: integer('last').notNull(),
  },
  (t) => [primaryKey({ columns: [t.prefix, t.year] })],
);

/** One task per step of the case's definition, created with the case. */
export const tasks = workflow.table(
  'tasks',
  {
    id: uuid('id').primaryKey(),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id),
    stepId: text('step_id').notNull(),
    department: text('department').notNull(),
    kind: text('kind').notNull(),
    status: text('status').$type<TaskStatus>().notNull(),
    slaWorkingDays: integer('sla_working_days').notNull(),
    openedAt: tsz('opened_at'),
    dueAt: tsz('due_at'),
    pauses: jsonb('pauses').$type<StoredPause[]>().notNull().default([]),
    decidedAt: tsz('decided_at'),
    decidedBy: text('decided_by'),
    reason: text('reason'),
    /** Set once by the overdue sweep, in the transaction that emits `task.overdue`. */
    overdueAt: tsz('overdue_at'),
  },
  (t) => [
    uniqueIndex('tasks_case_step_key').on(t.caseId, t.stepId),
    // The department queue: open work by deadline, keyset-paginated on (due_at, id).
    index('tasks_queue_idx').on(t.department, t.status, t.dueAt, t.id),
    // The queue's `decided` view: newest decision first, decided tasks only. NULLS FIRST is what
    // ORDER BY … DESC means, so the index serves the query's order as written.
    index('tasks_decided_idx')
      .on(t.department, t.decidedAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.status} in ('approved', 'rejected')`),
    // The overdue sweep: open tasks past their deadline not yet reported.
    index('tasks_overdue_idx')
      .on(t.dueAt)
      .where(sql`${t.status} = 'open' and ${t.overdueAt} is null`),
    check('tasks_status', sql`${t.status} in ${sql.raw(inList(TASK_STATUSES))}`),
  ],
);

function inList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}
