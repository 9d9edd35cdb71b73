import { errors } from '@tongban/service-kit';
import type { EventRow } from '../../db/queries/cases.js';
import { caseEvents, caseTasks, findCase, findCaseByTrackingCode } from '../../db/queries/cases.js';
import { requireSeesCase } from './access.js';
import type { CaseContext } from './context.js';
import type { CaseDefinition, DefinitionLookup } from './definitions.js';

type Names = { zh: string; en: string };

/**
 * What an event says to a resident, in both languages. Officers are never named (their
 * department is); a reason is shown because the resident is owed it.
 */
function describe(event: EventRow, definition: CaseDefinition): Names {
  const data = event.data as Record<string, unknown>;
  const step = definition.definition.steps.find((s) => s.id === data.step);
  const stepName = step?.name ?? { zh: String(data.step ?? ''), en: String(data.step ?? '') };
  switch (event.type) {
    case 'case.submitted':
      return { zh: '申请已提交', en: 'Application submitted' };
    case 'case.records_attached': {
      const missing = Array.isArray(data.missing) ? (data.missing as { type?: unknown }[]) : [];
      if (missing.length === 0) {
        return {
          zh: '已调取相关部门证照材料',
          en: 'Records gathered from the departments that hold them',
        };
      }
      const types = [...new Set(missing.map((m) => String(m.type)))].join(', ');
      return {
        zh: `已调取证照材料；尚缺：${types}`,
        en: `Records gathered; not yet issued: ${types}`,
      };
    }
    case 'task.opened':
      return { zh: `${stepName.zh}：开始办理`, en: `${stepName.en}: started` };
    case 'task.decided':
      switch (data.decision) {
        case 'approve':
          return { zh: `${stepName.zh}：已通过`, en: `${stepName.en}: approved` };
        case 'reject':
          return { zh: `${stepName.zh}：不予通过`, en: `${stepName.en}: refused` };
        default:
          return {
            zh: `${stepName.zh}：需要补充材料`,
            en: `${stepName.en}: more information needed`,
          };
      }
    case 'case.information_requested':
      return {
        zh: '等待申请人补充材料（办理时限暂停）',
        en: 'Waiting for your information (the clock is stopped)',
      };
    case 'case.information_provided':
      return { zh: '申请人已补充材料，继续办理', en: 'Information received; work resumes' };
    case 'task.overdue':
      return { zh: `${stepName.zh}：已超过办理时限`, en: `${stepName.en}: past its time limit` };
    case 'task.escalated':
      return {
        zh: `${stepName.zh}：超期未办，已提请部门负责人督办`,
        en: `${stepName.en}: late; referred to the head of the department`,
      };
    case 'case.withdrawn':
      return { zh: '申请人已撤回申请', en: 'Application withdrawn' };
    case 'case.completed':
      return data.outcome === 'approved'
        ? { zh: '办结：准予办理', en: 'Completed: approved' }
        : data.outcome === 'rejected'
          ? { zh: '办结：不予办理', en: 'Completed: refused' }
          : { zh: '办结：已撤回', en: 'Closed: withdrawn' };
    default:
      return { zh: event.type, en: event.type };
  }
}

/** The case's events in order, each with a plain sentence; who may read it as for the case. */
export async function listCaseEvents({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { caseId: string; limit: number; after?: string | undefined };
}) {
  const row = await findCase(ctx.db, input.caseId);
  if (row === undefined) throw errors.notFound('No such case.');
  requireSeesCase(ctx.actor, row, await caseTasks(ctx.db, row.id));
  const definition = await definitions(ctx.db, row.serviceCode, row.serviceVersion);
  if (definition === undefined) throw new Error(`missing definition of case ${row.id}`);
  const rows = await caseEvents(ctx.db, {
    caseId: row.id,
    limit: input.limit + 1,
    after: input.after,
  });
  const visible = rows.slice(0, input.limit);
  return {
    items: visible.map((event) => {
      const data = event.data as Record<string, unknown>;
      return {
        id: event.id,
        type: event.type,
        occurredAt: event.occurredAt.toISOString(),
        caseVersion: event.aggregateVersion,
        actor: { kind: event.actor.split(':')[0] ?? 'system', department: event.actorDepartment },
        step: typeof data.step === 'string' ? data.step : null,
        department: typeof data.department === 'string' ? data.department : event.actorDepartment,
        decision: typeof data.decision === 'string' ? data.decision : null,
        reason: typeof data.reason === 'string' ? data.reason : null,
        summary: describe(event, definition),
      };
    }),
    nextCursor: rows.length > input.limit ? (visible.at(-1)?.id ?? null) : null,
  };
}

/**
 * The public tracking page's data, for whoever holds the receipt: the service, the case number,
 * where it stands and the dates. No name, no ID number, no form, no subject id, no reasons.
 */
export async function trackCase({
  ctx,
  definitions,
  input,
}: {
  ctx: Pick<CaseContext, 'db' | 'clock'>;
  definitions: DefinitionLookup;
  input: { trackingCode: string };
}) {
  const row = await findCaseByTrackingCode(ctx.db, input.trackingCode);
  if (row === undefined) throw errors.notFound('No case with this tracking code.');
  const definition = await definitions(ctx.db, row.serviceCode, row.serviceVersion);
  if (definition === undefined) throw new Error(`missing definition of case ${row.id}`);
  const taskRows = await caseTasks(ctx.db, row.id);
  const order = new Map(definition.definition.steps.map((s, i) => [s.id, i]));
  return {
    service: { code: row.serviceCode, name: definition.definition.name },
    number: row.number,
    status: row.status,
    submittedAt: row.submittedAt.toISOString(),
    dueAt: row.dueAt?.toISOString() ?? null,
    completedAt: row.completedAt?.toISOString() ?? null,
    stages: [...taskRows]
      .sort((a, b) => (order.get(a.stepId) ?? 0) - (order.get(b.stepId) ?? 0))
      .map((t) => ({
        name: definition.definition.steps.find((s) => s.id === t.stepId)?.name ?? {
          zh: t.stepId,
          en: t.stepId,
        },
        department: t.department,
        status: t.status,
        openedAt: t.openedAt?.toISOString() ?? null,
        dueAt: t.dueAt?.toISOString() ?? null,
        decidedAt: t.decidedAt?.toISOString() ?? null,
      })),
  };
}
