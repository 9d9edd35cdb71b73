import type { Actor } from '@tongban/auth';
import { decodeCursor, errors, page } from '@tongban/service-kit';
import { inArray } from 'drizzle-orm';
import {
  caseTasks,
  departmentDecisions,
  departmentQueue,
  findCase,
  subjectCases,
  type TaskRow,
} from '../../db/queries/cases.js';
import { tasks as tasksTable } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { requireSeesCase } from './access.js';
import type { CaseContext, CheckVerification } from './context.js';
import type { DefinitionLookup } from './definitions.js';
import { requireFreshVerification } from './submit-case.js';
import { toCase, toTask } from './to-case.js';

async function definitionOf(
  ctx: CaseContext,
  definitions: DefinitionLookup,
  code: string,
  version: number,
) {
  const found = await definitions(ctx.db, code, version);
  if (found === undefined) throw new Error(`missing definition ${code}@${version}`);
  return found;
}

/**
 * The case as it stands, for a caller already authorized for it (the submitter, right after the
 * submission): no access check here.
 */
export async function loadCaseView(
  ctx: CaseContext,
  definitions: DefinitionLookup,
  caseId: string,
) {
  const row = await findCase(ctx.db, caseId);
  if (row === undefined) throw errors.notFound('No such case.');
  const definition = await definitionOf(ctx, definitions, row.serviceCode, row.serviceVersion);
  return {
    row,
    definition,
    view: toCase(row, await caseTasks(ctx.db, row.id), definition, ctx.clock()),
  };
}

/**
 * One case: for the resident it belongs to, for departments whose task on it was reached, and
 * for a clerk holding a fresh verification of the resident (`verificationId`).
 */
export async function getCase({
  ctx,
  definitions,
  checkVerification,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  checkVerification: CheckVerification | undefined;
  input: { caseId: string; verificationId?: string | undefined; bearerToken: string };
}) {
  const row = await findCase(ctx.db, input.caseId);
  if (row === undefined) throw errors.notFound('No such case.');
  const taskRows = await caseTasks(ctx.db, row.id);
  if (input.verificationId !== undefined && ctx.actor.kind === 'staff') {
    if (!ctx.actor.scopes.has('cases:read')) {
      throw errors.forbidden('Reading a resident’s case at the counter needs cases:read.');
    }
    await requireFreshVerification(ctx, checkVerification, {
      verificationId: input.verificationId,
      subjectId: row.subjectId,
      bearerToken: input.bearerToken,
    });
  } else {
    requireSeesCase(ctx.actor, row, taskRows);
  }
  const definition = await definitionOf(ctx, definitions, row.serviceCode, row.serviceVersion);
  return { row, view: toCase(row, taskRows, definition, ctx.clock()) };
}

/**
 * A resident's cases, newest first: the resident's own, or — for a counter clerk — those of the
 * resident their department verified in the last 10 minutes (`verificationId`); otherwise 403.
 */
export async function listCases({
  ctx,
  definitions,
  checkVerification,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  checkVerification: CheckVerification | undefined;
  input: {
    subjectId?: string | undefined;
    verificationId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
    bearerToken: string;
  };
}) {
  const actor: Actor = ctx.actor;
  let subjectId: string;
  if (actor.kind === 'resident') {
    if (input.subjectId !== undefined && input.subjectId !== actor.subject) {
      throw errors.forbidden('A resident lists only their own cases.');
    }
    subjectId = actor.subject;
  } else {
    if (actor.kind !== 'staff' || !actor.scopes.has('cases:read')) {
      throw errors.forbidden('Listing a resident’s cases is for counter staff (cases:read).');
    }
    if (input.subjectId === undefined) {
      throw errors.validationFailed('Name the resident whose cases you want.', {
        errors: [{ field: 'querystring.subjectId', message: 'is required for staff' }],
      });
    }
    if (input.verificationId === undefined) {
      throw problem(
        'verification_required',
        "Staff list a resident's cases only with a fresh verification of them (verificationId).",
      );
    }
    await requireFreshVerification(ctx, checkVerification, {
      verificationId: input.verificationId,
      subjectId: input.subjectId,
      bearerToken: input.bearerToken,
    });
    subjectId = input.subjectId;
  }
  const after = decodeCursor(input.cursor, 2);
  const rows = await subjectCases(ctx.db, {
    subjectId,
    limit: input.limit + 1,
    ...(after === undefined ? {} : { after: { at: String(after[0]), id: String(after[1]) } }),
  });
  const shown = rows.slice(0, input.limit);
  const taskRows =
    shown.length === 0
      ? []
      : await ctx.db
          .select()
          .from(tasksTable)
          .where(
            inArray(
              tasksTable.caseId,
              shown.map((r) => r.id),
            ),
          );
  const byCase = new Map<string, TaskRow[]>();
  for (const t of taskRows) byCase.set(t.caseId, [...(byCase.get(t.caseId) ?? []), t]);
  const now = ctx.clock();
  const definitionsOf = new Map<string, Awaited<ReturnType<typeof definitionOf>>>();
  for (const row of rows) {
    const key = `${row.serviceCode}@${row.serviceVersion}`;
    if (!definitionsOf.has(key)) {
      definitionsOf.set(
        key,
        await definitionOf(ctx, definitions, row.serviceCode, row.serviceVersion),
      );
    }
  }
  return page(
    rows,
    input.limit,
    (row) =>
      toCase(
        row,
        byCase.get(row.id) ?? [],
        definitionsOf.get(`${row.serviceCode}@${row.serviceVersion}`) as Awaited<
          ReturnType<typeof definitionOf>
        >,
        now,
      ),
    (row) => [row.submittedAt.toISOString(), row.id],
  );
}

export const QUEUE_VIEWS = [
  'open',
  'due_soon',
  'overdue',
  'awaiting_information',
  'decided',
] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

const DUE_SOON_MS = 2 * 86_400_000;

/**
 * A department's queue, by deadline. Staff and systems of that department only. `open` is all
 * open work; `due_soon` open tasks due within two days (overdue included, they are the most
 * urgent); `overdue` open tasks whose clock ran out (a stopped clock is not late); `awaiting_information` tasks waiting on a resident;
 * `decided` approved or rejected ones.
 */
export async function listDepartmentTasks({
  ctx,
  definitions,
  input,
}: {
  ctx: CaseContext;
  definitions: DefinitionLookup;
  input: { department: string; view: QueueView; limit: number; cursor?: string | undefined };
}) {
  const actor = ctx.actor;
  if (actor.kind === 'resident' || actor.department !== input.department) {
    throw errors.forbidden('A department’s queue is for its own staff and systems.');
  }
  if (!actor.scopes.has('cases:read') && !actor.scopes.has('cases:decide')) {
    throw errors.forbidden('The queue needs cases:read or cases:decide.');
  }
  const now = ctx.clock();
  const after = decodeCursor(input.cursor, 2);
  const decided = input.view === 'decided';
  const rows = decided
    ? await departmentDecisions(ctx.db, {
        department: input.department,
        limit: input.limit + 1,
        ...(after === undefined ? {} : { after: { at: String(after[0]), id: String(after[1]) } }),
      })
    : await departmentQueue(ctx.db, {
        department: input.department,
        statuses: input.view === 'awaiting_information' ? ['awaiting_information'] : ['open'],
        dueBefore: input.view === 'due_soon' ? new Date(now.getTime() + DUE_SOON_MS) : undefined,
        ranOutBy: input.view === 'overdue' ? now : undefined,
        limit: input.limit + 1,
        ...(after === undefined ? {} : { after: { due: String(after[0]), id: String(after[1]) } }),
      });
  const items = [];
  for (const { task, case: c } of rows) {
    const definition = await definitionOf(ctx, definitions, c.serviceCode, c.serviceVersion);
    items.push({
      ...toTask(task, definition, now),
      case: {
        id: c.id,
        number: c.number,
        version: c.version,
        service: {
          code: c.serviceCode,
          version: c.serviceVersion,
          name: definition.definition.name,
        },
      },
    });
  }
  return page(
    items,
    input.limit,
    (i) => i,
    (i) => [(decided ? i.decidedAt : i.dueAt) ?? '', i.id],
  );
}
