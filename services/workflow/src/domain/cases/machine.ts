import type { CaseStatus, TaskStatus } from '../../db/schema.js';

/** What the machine needs of a definition's step. */
export interface StepShape {
  readonly id: string;
  readonly dependsOn: readonly string[];
}

/** A case as the machine sees it: its status and each step's task status. */
export interface CaseState {
  readonly status: CaseStatus;
  readonly tasks: Readonly<Record<string, TaskStatus>>;
}

export type Decision = 'approve' | 'reject' | 'request_information';

export type CaseCommand =
  | { readonly kind: 'decide'; readonly stepId: string; readonly decision: Decision }
  | { readonly kind: 'provide_information' }
  | { readonly kind: 'withdraw' };

/** Why a command is refused in the state it met; each is a stable error code. */
export type Refusal =
  | 'case_closed'
  | 'case_awaiting_information'
  | 'case_not_awaiting_information'
  | 'task_not_open';

export type Transition =
  | {
      readonly ok: true;
      readonly state: CaseState;
      /** Steps whose task this command opened (dependencies now all approved). */
      readonly opened: readonly string[];
      /** Set when the command ended the case. */
      readonly completed?: 'approved' | 'rejected' | 'withdrawn';
    }
  | { readonly ok: false; readonly refusal: Refusal };

const FINAL: readonly CaseStatus[] = ['approved', 'rejected', 'withdrawn'];
/** Tasks that can still change; a case that ends cancels them. */
const LIVE: readonly TaskStatus[] = ['waiting', 'open', 'awaiting_information'];

export const isFinal = (status: CaseStatus) => FINAL.includes(status);

/** A new case: the steps with no dependencies open at once, the rest wait. */
export function initialState(steps: readonly StepShape[]): CaseState {
  const tasks: Record<string, TaskStatus> = {};
  for (const step of steps) tasks[step.id] = step.dependsOn.length === 0 ? 'open' : 'waiting';
  return { status: 'in_progress', tasks };
}

/**
 * The case and task state machine, pure. Every command either yields the next state or names
 * why it is refused; the verbs persist exactly what this returns, and the model-based test
 * holds it (through HTTP) against an independent reference model.
 *
 * - A decision needs the case in progress (not waiting on the resident, not final) and the
 *   step's task open.
 * - Approving opens every waiting step whose dependencies are now all approved (a join opens
 *   once, on the last of its dependencies); the last approval approves the case.
 * - Rejecting rejects the case and cancels every live task.
 * - Asking for information parks the task and pauses the case until the resident answers; the
 *   answer reopens the task and resumes the case.
 * - Withdrawal is the resident's while the case is not final; it cancels every live task.
 */
export function transition(
  steps: readonly StepShape[],
  state: CaseState,
  command: CaseCommand,
): Transition {
  if (isFinal(state.status)) return refuse('case_closed');
  const tasks: Record<string, TaskStatus> = { ...state.tasks };

  switch (command.kind) {
    case 'withdraw':
      cancelLive(tasks);
      return {
        ok: true,
        state: { status: 'withdrawn', tasks },
        opened: [],
        completed: 'withdrawn',
      };

    case 'provide_information': {
      if (state.status !== 'awaiting_information') return refuse('case_not_awaiting_information');
      for (const [id, status] of Object.entries(tasks)) {
        if (status === 'awaiting_information') tasks[id] = 'open';
      }
      return { ok: true, state: { status: 'in_progress', tasks }, opened: [] };
    }

    case 'decide': {
      if (state.status === 'awaiting_information') return refuse('case_awaiting_information');
      if (tasks[command.stepId] !== 'open') return refuse('task_not_open');
      switch (command.decision) {
        case 'request_information':
          tasks[command.stepId] = 'awaiting_information';
          return { ok: true, state: { status: 'awaiting_information', tasks }, opened: [] };
        case 'reject':
          tasks[command.stepId] = 'rejected';
          cancelLive(tasks);
          return {
            ok: true,
            state: { status: 'rejected', tasks },
            opened: [],
            completed: 'rejected',
          };
        case 'approve': {
          tasks[command.stepId] = 'approved';
          const opened = steps
            .filter(
              (step) =>
                tasks[step.id] === 'waiting' &&
                step.dependsOn.every((dep) => tasks[dep] === 'approved'),
            )
            .map((step) => step.id);
          for (const id of opened) tasks[id] = 'open';
          const done = steps.every((step) => tasks[step.id] === 'approved');
          return done
            ? { ok: true, state: { status: 'approved', tasks }, opened, completed: 'approved' }
            : { ok: true, state: { status: 'in_progress', tasks }, opened };
        }
      }
    }
  }
}

function cancelLive(tasks: Record<string, TaskStatus>) {
  for (const [id, status] of Object.entries(tasks)) {
    if (LIVE.includes(status)) tasks[id] = 'cancelled';
  }
}

const refuse = (refusal: Refusal): Transition => ({ ok: false, refusal });

/**
 * Working days along the longest path of the step graph: the case's own time limit when every
 * step takes its full allowance. The graph is a validated DAG.
 */
export function criticalPathWorkingDays(
  steps: readonly (StepShape & { readonly slaWorkingDays: number })[],
): number {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const finish = new Map<string, number>();
  const visit = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (step === undefined) return 0;
    const start = Math.max(0, ...step.dependsOn.map(visit));
    const total = start + step.slaWorkingDays;
    finish.set(id, total);
    return total;
  };
  return Math.max(...steps.map((s) => visit(s.id)));
}
