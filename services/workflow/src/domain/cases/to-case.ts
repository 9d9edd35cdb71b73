import { etagOf } from '@tongban/service-kit';
import type { CaseRow, TaskRow } from '../../db/queries/cases.js';
import type { CaseDefinition } from './definitions.js';
import { isPaused, ranOut } from './sla.js';

export const caseEtag = (row: Pick<CaseRow, 'id' | 'version'>) => etagOf(row);

const iso = (at: Date | null) => (at === null ? null : at.toISOString());

/** A task as its case shows it: the step's names from the definition the case runs on. */
export function toTask(task: TaskRow, definition: CaseDefinition, now: Date) {
  const step = definition.definition.steps.find((s) => s.id === task.stepId);
  return {
    id: task.id,
    step: task.stepId,
    name: step?.name ?? { zh: task.stepId, en: task.stepId },
    department: task.department,
    kind: task.kind,
    status: task.status,
    slaWorkingDays: task.slaWorkingDays,
    openedAt: iso(task.openedAt),
    dueAt: iso(task.dueAt),
    paused: isPaused(task.pauses),
    overdue: ranOut(task, now),
    escalated: task.overdueAt !== null,
    decidedAt: iso(task.decidedAt),
    reason: task.reason,
  };
}

const stepOrder = (definition: CaseDefinition) =>
  new Map(definition.definition.steps.map((s, i) => [s.id, i]));

/** The case as its readers see it; the form only where `withForm` (not in lists). */
export function toCase(
  row: CaseRow,
  taskRows: readonly TaskRow[],
  definition: CaseDefinition,
  now: Date,
) {
  const order = stepOrder(definition);
  const tasks = [...taskRows]
    .sort((a, b) => (order.get(a.stepId) ?? 0) - (order.get(b.stepId) ?? 0))
    .map((t) => toTask(t, definition, now));
  return {
    id: row.id,
    number: row.number,
    trackingCode: row.trackingCode,
    service: {
      code: row.serviceCode,
      version: row.serviceVersion,
      name: definition.definition.name,
    },
    subjectId: row.subjectId,
    status: row.status,
    version: row.version,
    submittedBy: { kind: row.submittedByKind, department: row.submittedByDepartment },
    submittedAt: row.submittedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    completedAt: iso(row.completedAt),
    slaWorkingDays: row.slaWorkingDays,
    dueAt: iso(row.dueAt),
    paused: isPaused(row.pauses),
    form: row.form as Record<string, unknown>,
    records: {
      pulled: row.recordsPulledAt !== null,
      references: row.records
        .filter((r) => r.recordId !== null)
        .map((r) => ({
          type: r.type,
          step: r.step,
          recordId: r.recordId as string,
          version: r.version as number,
          digest: r.digest as string,
          issuerDepartment: r.issuerDepartment as string,
        })),
      missing: row.records
        .filter((r) => r.recordId === null)
        .map((r) => ({ type: r.type, step: r.step, issuerDepartment: r.issuerDepartment })),
    },
    tasks,
  };
}

export type CaseView = ReturnType<typeof toCase>;
