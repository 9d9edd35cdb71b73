import type { Actor } from '@tongban/auth';
import { errors } from '@tongban/service-kit';
import type { CaseRow, TaskRow } from '../../db/queries/cases.js';

/**
 * Who sees a case without a verification: the resident it belongs to, and staff or systems of a
 * department whose task on it has been reached (a department does not see a case before its
 * turn). A counter clerk otherwise reaches a resident's cases only through a fresh verification
 * (list-cases, get-case).
 */
export function seesCase(actor: Actor, row: CaseRow, tasks: readonly TaskRow[]): boolean {
  if (actor.kind === 'resident') return actor.subject === row.subjectId;
  if (!actor.scopes.has('cases:read') && !actor.scopes.has('cases:decide')) return false;
  // Reached: the task has opened at some point. A task cancelled while still waiting (its case
  // closed before its turn) never was, so it shows its department nothing.
  return tasks.some((t) => t.department === actor.department && t.openedAt !== null);
}

/** 404 for a case the caller may not see: its existence is not theirs to learn. */
export function requireSeesCase(actor: Actor, row: CaseRow, tasks: readonly TaskRow[]): void {
  if (!seesCase(actor, row, tasks)) throw errors.notFound('No such case.');
}

/**
 * A decision is made by a case officer (`cases:decide`) of the task's own department. A caller
 * who cannot see the case gets 404; one who sees it through another task gets 403.
 */
export function requireDecider(
  actor: Actor,
  row: CaseRow,
  tasks: readonly TaskRow[],
  taskId: string,
) {
  requireSeesCase(actor, row, tasks);
  const task = tasks.find((t) => t.id === taskId);
  if (task === undefined) throw errors.notFound('No such task on this case.');
  if (actor.kind !== 'staff' || !actor.scopes.has('cases:decide')) {
    throw errors.forbidden('Decisions are made by case officers (cases:decide).');
  }
  if (task.department !== actor.department) {
    throw errors.forbidden('This task belongs to another department.');
  }
  return task;
}

/** The resident's own acts on their case: withdrawing it, answering a request for information. */
export function requireApplicant(actor: Actor, row: CaseRow): void {
  if (actor.kind !== 'resident' || actor.subject !== row.subjectId) {
    throw errors.notFound('No such case.');
  }
}
