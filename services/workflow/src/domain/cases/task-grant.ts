import type { SigningKeyStore } from '@tongban/keys';
import { errors } from '@tongban/service-kit';
import { caseTasks, findCase } from '../../db/queries/cases.js';
import { problem } from '../../errors.js';
import { issueCaseGrant } from '../case-grants/issue-case-grant.js';
import { requireDecider } from './access.js';
import type { CaseContext } from './context.js';
import type { DefinitionLookup } from './definitions.js';

/**
 * A case grant for the officer working a task: their department, this case's subject, and only
 * the record types the definition says this step reads. Given while the task is live (open or
 * waiting on the resident), so a decided or cancelled task reads nothing more.
 */
export async function issueTaskGrant({
  ctx,
  keys,
  definitions,
  input,
}: {
  ctx: CaseContext;
  keys: SigningKeyStore;
  definitions: DefinitionLookup;
  input: { caseId: string; taskId: string };
}) {
  const row = await findCase(ctx.db, input.caseId);
  if (row === undefined) throw errors.notFound('No such case.');
  const task = requireDecider(ctx.actor, row, await caseTasks(ctx.db, row.id), input.taskId);
  if (task.status !== 'open' && task.status !== 'awaiting_information') {
    throw problem(
      'task_not_open',
      'The task is not live; its records are no longer yours to read.',
    );
  }
  const definition = await definitions(ctx.db, row.serviceCode, row.serviceVersion);
  const types = [
    ...new Set(
      (definition?.definition.recordTypes ?? [])
        .filter((need) => need.step === task.stepId)
        .map((need) => need.code),
    ),
  ];
  if (types.length === 0) {
    throw errors.notFound('This step reads no records.');
  }
  const { token, claims } = await issueCaseGrant({
    keys,
    clock: ctx.clock,
    input: { caseId: row.id, subjectId: row.subjectId, department: task.department, types },
  });
  return {
    token,
    purpose: `case:${row.id}`,
    subjectId: row.subjectId,
    types,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}
