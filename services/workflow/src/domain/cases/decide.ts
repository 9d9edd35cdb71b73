import type { IfMatch } from '@tongban/service-kit';
import { requireApplicant, requireDecider } from './access.js';
import { applyCaseCommand } from './apply-command.js';
import type { CaseContext } from './context.js';
import type { DefinitionLookup } from './definitions.js';
import type { Decision } from './machine.js';

/** A case officer decides their department's open task: approve, reject or ask for information. */
export async function decideTask({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { caseId: string; taskId: string; decision: Decision; reason: string; ifMatch: IfMatch };
}) {
  return applyCaseCommand({
    ctx,
    definitions,
    input: {
      caseId: input.caseId,
      ifMatch: input.ifMatch,
      text: input.reason,
      authorize: (row, tasks) => ({
        kind: 'decide',
        stepId: requireDecider(ctx.actor, row, tasks, input.taskId).stepId,
        decision: input.decision,
      }),
    },
  });
}

/** The resident withdraws their case while it is not closed; every live task is cancelled. */
export function withdrawCase({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { caseId: string; reason: string | undefined; ifMatch: IfMatch | undefined };
}) {
  return applyCaseCommand({
    ctx,
    definitions,
    input: {
      caseId: input.caseId,
      ifMatch: input.ifMatch,
      text: input.reason,
      authorize: (row) => {
        requireApplicant(ctx.actor, row);
        return { kind: 'withdraw' };
      },
    },
  });
}

/** The resident answers a request for information; the clocks restart where they stopped. */
export function provideInformation({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { caseId: string; message: string; ifMatch: IfMatch | undefined };
}) {
  return applyCaseCommand({
    ctx,
    definitions,
    input: {
      caseId: input.caseId,
      ifMatch: input.ifMatch,
      text: input.message,
      authorize: (row) => {
        requireApplicant(ctx.actor, row);
        return { kind: 'provide_information' };
      },
    },
  });
}
