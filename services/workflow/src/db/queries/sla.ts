import type { Db } from '@tongban/db';
import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
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
