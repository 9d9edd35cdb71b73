import {
  errors,
  type IfMatch,
  ifMatchHolds,
  updateVersioned,
  withTransaction,
} from '@tongban/service-kit';
import {
  type CaseRow,
  findCaseWithTasks,
  type NewTaskRow,
  type TaskRow,
  updateTask,
} from '../../db/queries/cases.js';
import { cases, type StoredPause, type TaskStatus } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { recordChange } from '../events/record-change.js';
import type { CaseContext } from './context.js';
import type { CaseDefinition, DefinitionLookup } from './definitions.js';
import { type CaseCommand, type CaseState, transition } from './machine.js';
import { closePause, dueOf, openPause } from './sla.js';
import { taskOpenedData } from './submit-case.js';
import { caseEtag } from './to-case.js';

export interface ApplyCommandInput {
  readonly caseId: string;
  readonly ifMatch: IfMatch | undefined;
  /** The decision's or withdrawal's reason, or the resident's answer. */
  readonly text?: string | undefined;
  /**
   * Checks who may act on this case and names the command; throws (404 for a case the caller
   * may not see, 403 for one they see but may not change). Runs before the precondition, so a
   * stranger learns nothing from a 412.
   */
  readonly authorize: (row: CaseRow, tasks: readonly TaskRow[]) => CaseCommand;
}

/**
 * Applies one command of the case machine and persists exactly its result: the case row moves
 * only from the version read (conditional update, so of two commands racing on one case one
 * wins and the other gets 412 `version_conflict`), each changed task moves only from the status
 * read, and every change carries its events in the same transaction. A join therefore opens its
 * step exactly once: the two last approvals cannot both commit against the same case version.
 */
export async function applyCaseCommand({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: ApplyCommandInput;
}) {
  // One snapshot of the case and its tasks: the decision is computed on a consistent state, and
  // anything that changed since is caught by the conditional update on the version read here.
  const found = await findCaseWithTasks(ctx.db, input.caseId);
  if (found === undefined) throw errors.notFound('No such case.');
  const { row, tasks: taskRows } = found;
  const command = input.authorize(row, taskRows);
  if (!ifMatchHolds(input.ifMatch, caseEtag(row))) {
    throw errors.versionConflict('The case changed since you read it.');
  }
  const definition = await definitions(ctx.db, row.serviceCode, row.serviceVersion);
  if (definition === undefined) {
    throw new Error(`case ${row.id} runs on a missing definition ${row.serviceCode}`);
  }
  const state: CaseState = {
    status: row.status,
    tasks: Object.fromEntries(taskRows.map((t) => [t.stepId, t.status])),
  };
  const result = transition(definition.definition.steps, state, command);
  if (!result.ok) throw refusal(result.refusal);

  const now = ctx.clock();
  const askedNow = command.kind === 'decide' && command.decision === 'request_information';
  const answeredNow = command.kind === 'provide_information';

  const changes: { task: TaskRow; set: Partial<NewTaskRow> }[] = [];
  for (const task of taskRows) {
    const next = result.state.tasks[task.stepId] as TaskStatus;
    const set = taskChange(ctx, task, next, { now, askedNow, answeredNow, text: input.text });
    if (set !== undefined) changes.push({ task, set });
  }

  const casePauses: StoredPause[] = askedNow
    ? openPause(row.pauses, now)
    : answeredNow
      ? closePause(row.pauses, now)
      : row.pauses;
  const caseDue = answeredNow
    ? (dueOf(ctx.calendar, row.submittedAt, row.slaWorkingDays, casePauses) ?? row.dueAt)
    : row.dueAt;

  return withTransaction(ctx, async (ctx) => {
    const head = await updateVersioned(ctx.db, {
      table: cases,
      id: row.id,
      versions: [row.version],
      set: {
        status: result.state.status,
        pauses: casePauses,
        dueAt: caseDue,
        updatedAt: now,
        ...(result.completed === undefined ? {} : { completedAt: now }),
      },
      notFound: () => errors.notFound('No such case.'),
      conflict: () => errors.versionConflict('The case changed meanwhile; read it and try again.'),
      refused: () => errors.versionConflict('The case changed meanwhile; read it and try again.'),
    });
    const updated: TaskRow[] = [];
    for (const { task, set } of changes) {
      const changed = await updateTask(ctx.db, task.id, task.status, set);
      // The case version guards every task change, so a task that moved meanwhile is a bug.
      if (changed === undefined) throw new Error(`task ${task.id} moved under case version`);
      updated.push(changed);
    }
    const tasksNow = taskRows.map((t) => updated.find((u) => u.id === t.id) ?? t);
    await recordEvents(ctx, { head, command, result, tasksNow, definition, text: input.text });
    return { row: head, tasks: tasksNow, definition };
  });
}

function taskChange(
  ctx: CaseContext,
  task: TaskRow,
  next: TaskStatus,
  at: { now: Date; askedNow: boolean; answeredNow: boolean; text: string | undefined },
): Partial<NewTaskRow> | undefined {
  const { now } = at;
  const from = task.status;
  if (next === from) {
    // Open tasks stop their clocks while the case waits on the resident, and restart after.
    if (from === 'open' && at.askedNow) return { pauses: openPause(task.pauses, now) };
    if (from === 'open' && at.answeredNow && task.pauses.some((p) => p.to === null)) {
      return resumed(ctx, task, now);
    }
    return undefined;
  }
  switch (next) {
    case 'open':
      if (from === 'waiting') {
        return {
          status: next,
          openedAt: now,
          dueAt: dueOf(ctx.calendar, now, task.slaWorkingDays, []),
        };
      }
      return { status: next, ...resumed(ctx, task, now) };
    case 'awaiting_information':
      return { status: next, pauses: openPause(task.pauses, now), reason: at.text ?? null };
    case 'approved':
    case 'rejected':
      return {
        status: next,
        decidedAt: now,
        decidedBy: `${ctx.actor.kind}:${ctx.actor.subject}`,
        reason: at.text ?? null,
      };
    case 'cancelled':
      return {
        status: next,
        ...(task.pauses.some((p) => p.to === null) ? { pauses: closePause(task.pauses, now) } : {}),
      };
    case 'waiting':
      throw new Error('no command puts a task back to waiting');
  }
}

function resumed(ctx: CaseContext, task: TaskRow, now: Date): Partial<NewTaskRow> {
  const pauses = closePause(task.pauses, now);
  const start = task.openedAt ?? now;
  return { pauses, dueAt: dueOf(ctx.calendar, start, task.slaWorkingDays, pauses) ?? task.dueAt };
}

async function recordEvents(
  ctx: CaseContext,
  input: {
    head: CaseRow;
    command: CaseCommand;
    result: Extract<ReturnType<typeof transition>, { ok: true }>;
    tasksNow: readonly TaskRow[];
    definition: CaseDefinition;
    text: string | undefined;
  },
) {
  const { head, command, result, tasksNow, text } = input;
  const aggregate = { type: 'case', id: head.id, version: head.version };
  const byStep = (step: string) => tasksNow.find((t) => t.stepId === step) as TaskRow;

  if (command.kind === 'decide') {
    const task = byStep(command.stepId);
    await recordChange(ctx, {
      aggregate,
      type: 'task.decided',
      audience: task.department,
      data: {
        caseId: head.id,
        number: head.number,
        taskId: task.id,
        step: task.stepId,
        department: task.department,
        decision: command.decision,
        reason: text ?? null,
      },
    });
    if (command.decision === 'request_information') {
      await recordChange(ctx, {
        aggregate,
        type: 'case.information_requested',
        data: {
          caseId: head.id,
          number: head.number,
          step: task.stepId,
          department: task.department,
        },
      });
    }
  } else if (command.kind === 'provide_information') {
    const asking = tasksNow.filter((t) => t.status === 'open' && t.reason !== null);
    await recordChange(ctx, {
      aggregate,
      type: 'case.information_provided',
      audience: asking[0]?.department,
      data: { caseId: head.id, number: head.number, message: text ?? null },
    });
  } else {
    await recordChange(ctx, {
      aggregate,
      type: 'case.withdrawn',
      data: { caseId: head.id, number: head.number, reason: text ?? null },
    });
  }
  for (const step of result.opened) {
    const task = byStep(step);
    await recordChange(ctx, {
      aggregate,
      type: 'task.opened',
      audience: task.department,
      data: taskOpenedData(head, task),
    });
  }
  if (result.completed !== undefined) {
    await recordChange(ctx, {
      aggregate,
      type: 'case.completed',
      data: { caseId: head.id, number: head.number, outcome: result.completed },
    });
  }
}

function refusal(code: Exclude<ReturnType<typeof transition>, { ok: true }>['refusal']) {
  switch (code) {
    case 'case_closed':
      return problem(code, 'The case is closed and takes no more changes.');
    case 'case_awaiting_information':
      return problem(code, 'The case waits on the resident for information.');
    case 'case_not_awaiting_information':
      return problem(code, 'No department asked for information on this case.');
    case 'task_not_open':
      return problem(code, 'The task is not open for a decision.');
  }
}
