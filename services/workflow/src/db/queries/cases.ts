import type { Db } from '@tongban/db';
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { caseNumbers, cases, events, type TaskStatus, tasks } from '../schema.js';

export type CaseRow = typeof cases.$inferSelect;
export type NewCaseRow = typeof cases.$inferInsert;
export type TaskRow = typeof tasks.$inferSelect;
export type NewTaskRow = typeof tasks.$inferInsert;
export type EventRow = typeof events.$inferSelect;

/**
 * The next number of the year for a prefix. The counter row is locked until the transaction
 * ends, so numbers are gapless and never repeat; concurrent submissions queue on it only for the
 * rest of their (short) transaction.
 */
export async function nextCaseNumber(db: Db, prefix: string, year: number): Promise<number> {
  const [row] = await db
    .insert(caseNumbers)
    .values({ prefix, year, last: 1 })
    .onConflictDoUpdate({
      target: [caseNumbers.prefix, caseNumbers.year],
      set: { last: sql`${caseNumbers.last} + 1` },
    })
    .returning({ last: caseNumbers.last });
  if (row === undefined) throw new Error('case number counter returned no row');
  return row.last;
}

export async function insertCase(db: Db, row: NewCaseRow): Promise<CaseRow> {
  const [inserted] = await db.insert(cases).values(row).returning();
  if (inserted === undefined) throw new Error('case insert returned no row');
  return inserted;
}

export function insertTasks(db: Db, rows: NewTaskRow[]): Promise<TaskRow[]> {
  return db.insert(tasks).values(rows).returning();
}

export async function findCase(db: Db, id: string): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.id, id)).limit(1);
  return row;
}

export async function findCaseByTrackingCode(
  db: Db,
  trackingCode: string,
): Promise<CaseRow | undefined> {
  const [row] = await db.select().from(cases).where(eq(cases.trackingCode, trackingCode)).limit(1);
  return row;
}

/**
 * A case and its tasks read by one statement, so both come from one snapshot: a change that
 * commits between two separate reads could otherwise pair the case's old version with the
 * tasks' new state. Undefined when there is no such case (every case has at least one task).
 */
export async function findCaseWithTasks(
  db: Db,
  id: string,
): Promise<{ row: CaseRow; tasks: TaskRow[] } | undefined> {
  const rows = await db
    .select({ case: cases, task: tasks })
    .from(cases)
    .innerJoin(tasks, eq(tasks.caseId, cases.id))
    .where(eq(cases.id, id))
    .orderBy(asc(tasks.stepId));
  const first = rows[0];
  if (first === undefined) return undefined;
  return { row: first.case, tasks: rows.map((r) => r.task) };
}

/** A case's tasks in step order of creation (the definition's order). */
export function caseTasks(db: Db, caseId: string): Promise<TaskRow[]> {
  return db.select().from(tasks).where(eq(tasks.caseId, caseId)).orderBy(asc(tasks.stepId));
}

/** Changes one task, only from the status the caller saw (the case version guards the rest). */
export async function updateTask(
  db: Db,
  id: string,
  from: TaskStatus,
  set: Partial<NewTaskRow>,
): Promise<TaskRow | undefined> {
  const [row] = await db
    .update(tasks)
    .set(set)
    .where(and(eq(tasks.id, id), eq(tasks.status, from)))
    .returning();
  return row;
}

/** A subject's cases, newest first, keyset-paginated on (submitted_at, id). */
export function subjectCases(
  db: Db,
  input: { subjectId: string; after?: { at: string; id: string }; limit: number },
): Promise<CaseRow[]> {
  const { after } = input;
  return db
    .select()
    .from(cases)
    .where(
      and(
        eq(cases.subjectId, input.subjectId),
        after === undefined
          ? undefined
          : or(
              lt(cases.submittedAt, new Date(after.at)),
              and(eq(cases.submittedAt, new Date(after.at)), lt(cases.id, after.id)),
            ),
      ),
    )
    .orderBy(desc(cases.submittedAt), desc(cases.id))
    .limit(input.limit);
}

/**
 * Tasks whose clock ran out by `now`: the deadline passed while the clock was running. A task of
 * a case waiting on the resident keeps its last deadline while an open pause stops its clock, so
 * it counts only if that deadline had already passed when the pause began (then it stays late,
 * as slaDue has it). The same rule as `ranOut` in domain/cases/sla.ts, for SQL.
 */
export function ranOutBy(now: Date): SQL {
  return and(
    lte(tasks.dueAt, now),
    sql`not exists (
      select 1 from jsonb_array_elements(${tasks.pauses}) as p
       where p->>'to' is null and (p->>'from')::timestamptz < ${tasks.dueAt})`,
  ) as SQL;
}

export interface QueueRow {
  readonly task: TaskRow;
  readonly case: Pick<CaseRow, 'id' | 'number' | 'serviceCode' | 'serviceVersion' | 'version'>;
}

/**
 * A department's queue: its tasks in the given statuses by deadline (soonest first, then id),
 * keyset-paginated on (due_at, id) so a deep page costs what the first does. Served by
 * tasks_queue_idx (department, status, due_at, id).
 */
export async function departmentQueue(
  db: Db,
  input: {
    department: string;
    statuses: readonly TaskStatus[];
    dueBefore?: Date | undefined;
    /** Only tasks whose clock ran out by then (ranOutBy). */
    ranOutBy?: Date | undefined;
    after?: { due: string; id: string } | undefined;
    limit: number;
  },
): Promise<QueueRow[]> {
  const { after } = input;
  const conditions: (SQL | undefined)[] = [
    eq(tasks.department, input.department),
    input.statuses.length === 1
      ? eq(tasks.status, input.statuses[0] as TaskStatus)
      : inArray(tasks.status, [...input.statuses]),
    input.dueBefore === undefined ? undefined : lt(tasks.dueAt, input.dueBefore),
    input.ranOutBy === undefined ? undefined : ranOutBy(input.ranOutBy),
    after === undefined
      ? undefined
      : sql`(${tasks.dueAt}, ${tasks.id}) > (${new Date(after.due)}, ${after.id})`,
  ];
  return db
    .select(queueColumns)
    .from(tasks)
    .innerJoin(cases, eq(cases.id, tasks.caseId))
    .where(and(...conditions))
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(input.limit);
}

const queueColumns = {
  task: tasks,
  case: {
    id: cases.id,
    number: cases.number,
    serviceCode: cases.serviceCode,
    serviceVersion: cases.serviceVersion,
    version: cases.version,
  },
};

/**
 * A department's decided tasks, most recent decision first, keyset-paginated on
 * (decided_at, id) descending. Served by tasks_decided_idx, a partial index of decided tasks
 * only, so a page is one range read however many open tasks share the department.
 */
export function departmentDecisions(
  db: Db,
  input: { department: string; after?: { at: string; id: string } | undefined; limit: number },
): Promise<QueueRow[]> {
  const { after } = input;
  return db
    .select(queueColumns)
    .from(tasks)
    .innerJoin(cases, eq(cases.id, tasks.caseId))
    .where(
      and(
        eq(tasks.department, input.department),
        // Literal, as the partial index's predicate is, so the planner can match it under any plan.
        sql`${tasks.status} in ('approved', 'rejected')`,
        after === undefined
          ? undefined
          : sql`(${tasks.decidedAt}, ${tasks.id}) < (${new Date(after.at)}, ${after.id})`,
      ),
    )
    .orderBy(desc(tasks.decidedAt), desc(tasks.id))
    .limit(input.limit);
}

/** A case's events in the order they happened (ids are time-ordered UUIDv7). */
export function caseEvents(
  db: Db,
  input: { caseId: string; after?: string; limit: number },
): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.aggregateType, 'case'),
        eq(events.aggregateId, input.caseId),
        input.after === undefined ? undefined : gt(events.id, input.after),
      ),
    )
    .orderBy(asc(events.id))
    .limit(input.limit);
}

/** Cases whose records still have to be pulled, oldest first, skipping ones another puller holds. */
export function casesAwaitingRecords(db: Db, limit: number): Promise<CaseRow[]> {
  return db
    .select()
    .from(cases)
    .where(isNull(cases.recordsPulledAt))
    .orderBy(asc(cases.submittedAt))
    .limit(limit);
}
