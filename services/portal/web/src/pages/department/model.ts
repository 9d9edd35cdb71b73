import type { RecordsPaths, WorkflowPaths } from '@tongban/clients';

export type QueuePage =
  WorkflowPaths['/v1/departments/{code}/tasks']['get']['responses'][200]['content']['application/json'];
export type QueueItem = QueuePage['items'][number];
export type QueueView = NonNullable<
  NonNullable<WorkflowPaths['/v1/departments/{code}/tasks']['get']['parameters']['query']>['view']
>;
export type CaseView =
  WorkflowPaths['/v1/cases/{id}']['get']['responses'][200]['content']['application/json'];
export type CaseTask = CaseView['tasks'][number];
export type ReleasedRecord =
  RecordsPaths['/v1/records']['get']['responses'][200]['content']['application/json']['items'][number];

export const QUEUE_VIEWS: readonly QueueView[] = [
  'open',
  'due_soon',
  'overdue',
  'awaiting_information',
  'decided',
];

export function queueView(value: string | null): QueueView {
  return QUEUE_VIEWS.find((v) => v === value) ?? 'open';
}

/** Workflow's own threshold for its `due_soon` view. */
export const DUE_SOON_MS = 2 * 86_400_000;

export type SlaState = 'on_time' | 'due_soon' | 'overdue' | 'paused';

/**
 * Where a live task stands against its deadline; undefined once it is decided, cancelled or not
 * reached. Workflow's `overdue` flag wins (it knows when the clock was stopped); a running clock
 * past its deadline is late even before the sweep flags it.
 */
export function slaState(
  task: Pick<CaseTask, 'status' | 'dueAt' | 'overdue' | 'paused'>,
  now: number,
): SlaState | undefined {
  if (task.status !== 'open' && task.status !== 'awaiting_information') return undefined;
  if (task.overdue) return 'overdue';
  if (task.paused || task.status === 'awaiting_information') return 'paused';
  if (task.dueAt === null) return undefined;
  const left = Date.parse(task.dueAt) - now;
  if (left <= 0) return 'overdue';
  return left <= DUE_SOON_MS ? 'due_soon' : 'on_time';
}

/** The colour family of an SLA state; the state is always written out in words as well. */
export const SLA_TONE: Record<SlaState, string> = {
  on_time: 'done',
  due_soon: 'waiting',
  overdue: 'refused',
  paused: 'idle',
};

/** The colour family of a task's or case's status (as the tracking page colours them). */
export const STATUS_TONE: Record<string, string> = {
  approved: 'done',
  rejected: 'refused',
  in_progress: 'active',
  open: 'active',
  awaiting_information: 'waiting',
  waiting: 'idle',
  withdrawn: 'idle',
  cancelled: 'idle',
};
