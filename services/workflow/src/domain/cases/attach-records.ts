import { withTransaction } from '@tongban/service-kit';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { CaseRow } from '../../db/queries/cases.js';
import { cases, type StoredRecordRef } from '../../db/schema.js';
import { recordChange } from '../events/record-change.js';
import type { CaseContext, PullRecords } from './context.js';
import type { CaseDefinition } from './definitions.js';

/**
 * Pulls the records a case needs from the record API (purpose `case:<id>`, with a case grant)
 * and attaches their references — id, version, digest — or lists each missing type with the
 * department that issues it. Runs after the submission commits, outside any transaction (the
 * pull is HTTP), then stores the result once: of two pullers (the request, the retry job) the
 * first to store wins and the other changes nothing. A pull that fails leaves the case for the
 * job to retry; the submission itself is never lost.
 */
export async function attachRecords({
  ctx,
  pull,
  input,
}: {
  ctx: Omit<CaseContext, 'actor'> & { actor: CaseContext['actor'] | undefined };
  pull: PullRecords;
  input: { row: CaseRow; definition: CaseDefinition };
}): Promise<CaseRow | undefined> {
  const { row, definition } = input;
  if (row.recordsPulledAt !== null) return row;
  const pulled = await pull({
    caseId: row.id,
    subjectId: row.subjectId,
    needs: definition.definition.recordTypes.map((n) => ({ type: n.code, step: n.step })),
  });
  const refs: StoredRecordRef[] = [
    ...pulled.references.map((r) => ({ ...r })),
    ...pulled.missing.map((m) => ({
      type: m.type,
      step: m.step,
      recordId: null,
      version: null,
      digest: null,
      issuerDepartment: m.issuerDepartment,
    })),
  ];
  return withTransaction(ctx, async (ctx) => {
    const now = ctx.clock();
    const [head] = await ctx.db
      .update(cases)
      .set({
        records: refs,
        recordsPulledAt: now,
        updatedAt: now,
        version: sql`${cases.version} + 1`,
      })
      .where(and(eq(cases.id, row.id), isNull(cases.recordsPulledAt)))
      .returning();
    if (head === undefined) return undefined;
    await recordChange(ctx, {
      aggregate: { type: 'case', id: head.id, version: head.version },
      type: 'case.records_attached',
      data: {
        caseId: head.id,
        number: head.number,
        references: pulled.references.map((r) => ({
          type: r.type,
          recordId: r.recordId,
          version: r.version,
          digest: r.digest,
        })),
        missing: pulled.missing.map((m) => ({
          type: m.type,
          issuerDepartment: m.issuerDepartment,
        })),
      },
    });
    return head;
  });
}
