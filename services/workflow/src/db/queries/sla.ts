import type { Db } from '@tongban/db';
import { and, asc, eq, gte, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { cases, tasks } from '../schema.js';
import { ranOutBy, type TaskRow } from './cases.js';

/** A task the sweep claimed, with what its events name of the case. */
export interface ClaimedTask {
  readonly task: TaskRow;
  readonly case: { readonly id: string; readonly number: string; readonly version: number };
}

/**
 * Marks up to `limit` open tasks whose clock ran out by `now` as overdue at `now`, and returns
 * them, soonest deadline first (served by tasks_overdue_idx). Must run in the transaction that
 * records their events.
 *
 * Replicas running this at once never claim a task twice: the candidates are locked with
 * `FOR UPDATE SKIP LOCKED`, so a task another sweep holds is left to it, and the update is
 * conditional on `overdue_at IS NULL`, so a task another sweep marked and committed since this
 * statement's snapshot is re-checked by PostgreSQL against its new row and dropped. A decision
 * committed meanwhile moves the task out of `open`, which drops it the same way; a decision
 * still in flight holds the row, and the task is looked at again on the next run.
 */
export async function claimOverdueTasks(
  tx: Db,
  input: { now: Date; limit: number },
): Promise<ClaimedTask[]> {
  const candidates = tx
    .select({ id: tasks.id })
    .from(tasks)
    .where(and(eq(tasks.status, 'open'), isNull(tasks.overdueAt), ranOutBy(input.now)))
    .orderBy(asc(tasks.dueAt), asc(tasks.id))
    .limit(input.limit)
    .for('update', { skipLocked: true });
  const claimed = await tx
    .update(tasks)
    .set({ overdueAt: input.now })
    .where(and(inArray(tasks.id, candidates), isNull(tasks.overdueAt), eq(tasks.status, 'open')))
    .returning();
  if (claimed.length === 0) return [];
  const caseRows = await tx
    .select({ id: cases.id, number: cases.number, version: cases.version })
    .from(cases)
    .where(
      inArray(
        cases.id,
        claimed.map((t) => t.caseId),
      ),
    );
  const byId = new Map(caseRows.map((c) => [c.id, c]));
  return claimed
    .sort(
      (a, b) => (a.dueAt?.getTime() ?? 0) - (b.dueAt?.getTime() ?? 0) || a.id.localeCompare(b.id),
    )
    .map((task) => {
      const found = byId.get(task.caseId);
      if (found === undefined) throw new Error(`task ${task.id} has no case ${task.caseId}`);
      return { task, case: found };
    });
}

/** A department's SLA figures, as the database computes them (see departmentSlaFigures). */
export interface SlaFigures {
  readonly decided: number;
  readonly onTime: number;
  readonly medianHandlingHours: number | null;
  readonly open: number;
  readonly overdue: number;
  readonly awaitingInformation: number;
}

/**
 * One pass over a department's tasks (tasks_queue_idx leads with the department): decisions
 * made in [decidedFrom, decidedBefore) — how many, how many before their deadline, the median
 * handling time — and the work in hand at `now`. Handling time is wall-clock hours from the
 * task's opening to its decision minus the time its clock stood still waiting on the resident
 * (every pause of a decided task is closed).
 */
export async function departmentSlaFigures(
  db: Db,
  input: {
    department: string;
    now: Date;
    decidedFrom?: Date | undefined;
    decidedBefore?: Date | undefined;
  },
): Promise<SlaFigures> {
  const decided = and(
    inArray(tasks.status, ['approved', 'rejected']),
    input.decidedFrom === undefined ? undefined : gte(tasks.decidedAt, input.decidedFrom),
    input.decidedBefore === undefined ? undefined : lt(tasks.decidedAt, input.decidedBefore),
  ) as SQL;
  const pausedSeconds = sql`coalesce((
    select sum(extract(epoch from (p->>'to')::timestamptz - (p->>'from')::timestamptz))
      from jsonb_array_elements(${tasks.pauses}) as p
     where p->>'to' is not null), 0)`;
  const handlingHours = sql`((extract(epoch from ${tasks.decidedAt} - ${tasks.openedAt}) - ${pausedSeconds}) / 3600)::float8`;
  const [row] = await db
    .select({
      decided: sql<number>`(count(*) filter (where ${decided}))::int`,
      // 24:00 of the last working day is the first instant that is late (working-days README).
      onTime: sql<number>`(count(*) filter (where ${decided} and ${tasks.decidedAt} < ${tasks.dueAt}))::int`,
      medianHandlingHours: sql<
        number | null
      >`percentile_cont(0.5) within group (order by ${handlingHours}) filter (where ${decided})`,
      open: sql<number>`(count(*) filter (where ${tasks.status} = 'open'))::int`,
      overdue: sql<number>`(count(*) filter (where ${tasks.status} = 'open' and ${ranOutBy(input.now)}))::int`,
      awaitingInformation: sql<number>`(count(*) filter (where ${tasks.status} = 'awaiting_information'))::int`,
    })
    .from(tasks)
    .where(
      and(
        eq(tasks.department, input.department),
        inArray(tasks.status, ['open', 'awaiting_information', 'approved', 'rejected']),
      ),
    );
  return {
    decided: Number(row?.decided ?? 0),
    onTime: Number(row?.onTime ?? 0),
    medianHandlingHours: row?.medianHandlingHours == null ? null : Number(row.medianHandlingHours),
    open: Number(row?.open ?? 0),
    overdue: Number(row?.overdue ?? 0),
    awaitingInformation: Number(row?.awaitingInformation ?? 0),
  };
}
