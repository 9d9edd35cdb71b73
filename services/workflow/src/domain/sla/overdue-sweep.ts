import type { Db } from '@tongban/db';
import { type JobDefinition, type RequestContext, withTransaction } from '@tongban/service-kit';
import { type ClaimedTask, claimOverdueTasks } from '../../db/queries/sla.js';
import { recordChange } from '../events/record-change.js';

export const SLA_OVERDUE_JOB = 'sla-overdue';

/** Tasks one transaction claims; a run takes batches until the backlog is drained or the cap. */
const BATCH_SIZE = 100;
const MAX_BATCHES_PER_RUN = 50;

/** The sweep runs as the system: its events name no person. */
export type SweepContext = RequestContext<undefined>;

/**
 * Reports every open task whose clock ran out by `now`, once: in one transaction per batch, each
 * task is marked (`overdue_at`) and gets its `task.overdue` for the department and its
 * `task.escalated` for the department's administrator. Safe in every replica at once (see
 * claimOverdueTasks): each task is reported by exactly one of them. A task whose clock is
 * stopped (its case waits on the resident) is not late and is not reported. Returns how many
 * tasks it reported.
 */
export async function sweepOverdueTasks({
  ctx,
  input,
}: {
  ctx: SweepContext;
  input: { now: Date; batchSize?: number; signal?: AbortSignal };
}): Promise<number> {
  const limit = input.batchSize ?? BATCH_SIZE;
  let reported = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
    if (input.signal?.aborted) break;
    const claimed = await withTransaction(ctx, async (ctx) => {
      const rows = await claimOverdueTasks(ctx.db, { now: input.now, limit });
      for (const row of rows) await report(ctx, row);
      return rows.length;
    });
    reported += claimed;
    if (claimed < limit) break;
  }
  return reported;
}

async function report(ctx: SweepContext, { task, case: c }: ClaimedTask) {
  // Going overdue is a fact about time, not a change of the case: the case's version stays, so an
  // officer's If-Match read before the deadline still holds and their decision is not refused
  // with 412 because a clock ran out. The events carry the version the case stood at.
  const aggregate = { type: 'case', id: c.id, version: c.version };
  const data = {
    caseId: c.id,
    number: c.number,
    taskId: task.id,
    step: task.stepId,
    department: task.department,
    dueAt: task.dueAt?.toISOString() ?? null,
  };
  await recordChange(ctx, { aggregate, type: 'task.overdue', audience: task.department, data });
  await recordChange(ctx, {
    aggregate,
    type: 'task.escalated',
    audience: task.department,
    data: { ...data, to: 'department_admin' },
  });
}

/** The sweep as a background job of the service; tests run it with `app.jobs.runNow`. */
export function slaOverdueJob(
  deps: { db: Db; clock: () => Date },
  intervalMs: number,
): JobDefinition {
  return {
    name: SLA_OVERDUE_JOB,
    intervalMs,
    jitter: 0.2,
    run: ({ now, signal }) =>
      sweepOverdueTasks({
        ctx: { db: deps.db, actor: undefined, requestId: SLA_OVERDUE_JOB, clock: deps.clock },
        input: { now, signal },
      }),
  };
}
