import { randomUUID } from 'node:crypto';
import type { Actor } from '@tongban/auth';
import { errors, withTransaction } from '@tongban/service-kit';
import { insertCase, insertTasks, nextCaseNumber } from '../../db/queries/cases.js';
import { problem } from '../../errors.js';
import { recordChange } from '../events/record-change.js';
import type { CaseContext, CheckVerification } from './context.js';
import type { DefinitionLookup } from './definitions.js';
import type { FormValidators } from './form.js';
import { criticalPathWorkingDays, initialState } from './machine.js';
import { dueOf, formatCaseNumber, newTrackingCode } from './sla.js';

export interface SubmitCaseInput {
  readonly service: string;
  readonly form: Record<string, unknown>;
  /** A clerk names the resident; a resident may leave it out (it must be their own). */
  readonly subjectId?: string | undefined;
  /** A clerk's fresh verification of the resident, from identity. */
  readonly verificationId?: string | undefined;
}

export interface SubmitCaseDeps {
  readonly definitions: DefinitionLookup;
  readonly forms: FormValidators;
  /**
   * Whose case it is, settled before the transaction by `resolveApplicant`: checking a clerk's
   * verification is a call to identity, and no transaction is held open across a network call
   * (it would hold its locks and its connection, and on the embedded database every other
   * service's work, for as long as identity takes). A refusal is thrown inside the transaction,
   * so a replay of an already stored answer is not refused by a check it never needed.
   */
  readonly applicant: Settled<string>;
}

export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export interface ApplicantDeps {
  readonly checkVerification: CheckVerification | undefined;
  /** The caller's own bearer token, which identity's verification look-up is asked with. */
  readonly bearerToken: string;
}

/** `applicantSubject`, settled: the subject id, or the refusal to throw in its place. */
export function resolveApplicant(
  ctx: CaseContext,
  deps: ApplicantDeps,
  input: SubmitCaseInput,
): Promise<Settled<string>> {
  return applicantSubject(ctx, deps, input).then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/**
 * A resident applies for a catalogue service, for themselves or through a counter clerk who has
 * just verified them. The form is checked against the newest published version, which the case
 * then keeps for life. In one transaction: the next case number, the case with its tracking code
 * and due date, one task per step (start steps open, the rest wait), `case.submitted` and a
 * `task.opened` for each open task. Pulling the records follows the commit (attach-records).
 */
export async function submitCase({
  ctx,
  deps,
  input,
}: {
  ctx: CaseContext;
  deps: SubmitCaseDeps;
  input: SubmitCaseInput;
}) {
  if (!deps.applicant.ok) throw deps.applicant.error;
  const subjectId = deps.applicant.value;
  const found = await deps.definitions(ctx.db, input.service);
  if (found === undefined) {
    throw errors.validationFailed(`No service ${input.service} in the catalogue.`, {
      errors: [{ field: 'body.service', message: 'is not a service in the catalogue' }],
    });
  }
  const { definition } = found;
  deps.forms.check(`${found.code}@${found.version}`, definition.form, input.form);

  const now = ctx.clock();
  const year = Number(ctx.calendar.localDateOf(now).slice(0, 4));
  const state = initialState(definition.steps);
  const slaWorkingDays = criticalPathWorkingDays(definition.steps);
  const needsRecords = definition.recordTypes.length > 0;

  return withTransaction(ctx, async (ctx) => {
    const counter = await nextCaseNumber(ctx.db, ctx.settings.numberPrefix, year);
    const row = await insertCase(ctx.db, {
      id: randomUUID(),
      number: formatCaseNumber(ctx.settings.numberPrefix, year, counter),
      trackingCode: newTrackingCode(),
      serviceCode: found.code,
      serviceVersion: found.version,
      subjectId,
      submittedByKind: ctx.actor.kind === 'resident' ? 'resident' : 'staff',
      submittedBy: ctx.actor.subject,
      submittedByDepartment: ctx.actor.kind === 'resident' ? null : ctx.actor.department,
      form: input.form,
      records: [],
      recordsPulledAt: needsRecords ? null : now,
      status: state.status,
      version: 1,
      slaWorkingDays,
      dueAt: dueOf(ctx.calendar, now, slaWorkingDays, []),
      pauses: [],
      submittedAt: now,
      updatedAt: now,
    });
    const taskRows = await insertTasks(
      ctx.db,
      definition.steps.map((step) => {
        const open = state.tasks[step.id] === 'open';
        return {
          id: randomUUID(),
          caseId: row.id,
          stepId: step.id,
          department: step.department,
          kind: step.kind,
          status: state.tasks[step.id] ?? 'waiting',
          slaWorkingDays: step.slaWorkingDays,
          openedAt: open ? now : null,
          dueAt: open ? dueOf(ctx.calendar, now, step.slaWorkingDays, []) : null,
        };
      }),
    );
    const aggregate = { type: 'case', id: row.id, version: row.version };
    await recordChange(ctx, {
      aggregate,
      type: 'case.submitted',
      data: {
        caseId: row.id,
        number: row.number,
        service: row.serviceCode,
        serviceVersion: row.serviceVersion,
        submittedBy: row.submittedByKind,
        dueAt: row.dueAt?.toISOString() ?? null,
      },
    });
    for (const task of taskRows) {
      if (task.status !== 'open') continue;
      await recordChange(ctx, {
        aggregate,
        type: 'task.opened',
        audience: task.department,
        data: taskOpenedData(row, task),
      });
    }
    return { row, tasks: taskRows, definition: found };
  });
}

/** What a department's system learns when its task opens: enough to fetch the case. */
export function taskOpenedData(
  row: { id: string; number: string; serviceCode: string; subjectId: string },
  task: { id: string; stepId: string; department: string; dueAt: Date | null },
) {
  return {
    caseId: row.id,
    number: row.number,
    service: row.serviceCode,
    subjectId: row.subjectId,
    taskId: task.id,
    step: task.stepId,
    department: task.department,
    dueAt: task.dueAt?.toISOString() ?? null,
  };
}

/**
 * Whose case this is. A resident applies only for themselves. A counter clerk (`cases:write`)
 * applies for a resident they verified in the last 10 minutes at their own department, so no
 * clerk can open cases in the name of someone who never came to the counter.
 */
async function applicantSubject(
  ctx: CaseContext,
  deps: ApplicantDeps,
  input: SubmitCaseInput,
): Promise<string> {
  const actor: Actor = ctx.actor;
  if (actor.kind === 'resident') {
    if (input.subjectId !== undefined && input.subjectId !== actor.subject) {
      throw errors.forbidden('A resident applies only for themselves.');
    }
    return actor.subject;
  }
  if (actor.kind !== 'staff' || !actor.scopes.has('cases:write')) {
    throw errors.forbidden('Only the resident or a counter clerk (cases:write) submits a case.');
  }
  if (input.subjectId === undefined || input.verificationId === undefined) {
    throw problem(
      'verification_required',
      'A clerk applying for a resident names the resident (subjectId) and the verification made at the counter (verificationId).',
    );
  }
  await requireFreshVerification(ctx, deps.checkVerification, {
    verificationId: input.verificationId,
    subjectId: input.subjectId,
    bearerToken: deps.bearerToken,
  });
  return input.subjectId;
}

/** 403 `verification_required` unless identity confirms a fresh verification of this resident. */
export async function requireFreshVerification(
  ctx: CaseContext,
  check: CheckVerification | undefined,
  input: { verificationId: string; subjectId: string; bearerToken: string },
): Promise<void> {
  if (check === undefined) {
    throw problem('verification_required', 'Verifications cannot be checked on this instance.');
  }
  const result = await check({ ...input, now: ctx.clock() });
  switch (result) {
    case 'fresh':
      return;
    case 'stale':
      throw problem(
        'verification_required',
        'The verification is older than 10 minutes; scan the resident’s code again.',
      );
    case 'other_subject':
      throw problem('verification_required', 'The verification is of another resident.');
    case 'not_found':
      throw problem(
        'verification_required',
        'No verification with this id was made by your department.',
      );
  }
}
