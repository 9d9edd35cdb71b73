import type { Actor } from '@tongban/auth';
import { isOpenTransaction, type RequestContext, uuidV7 } from '@tongban/service-kit';
import { sql } from 'drizzle-orm';
import { problem } from '../../errors.js';

/** What a read (or a refused read) leaves in the access log. */
export interface AccessEntryInput {
  /** Whose data was read or asked for; null when the request named no existing record. */
  readonly subjectId: string | null;
  readonly purpose: string;
  readonly caseId?: string | undefined;
  readonly recordId?: string | undefined;
  readonly typeCode?: string | undefined;
  readonly recordVersion?: number | undefined;
  /** Fields released; empty for a refused read. */
  readonly fields: readonly string[];
  readonly outcome: 'released' | 'denied';
  readonly denialCode?: string | undefined;
}

/**
 * Appends one access-log entry in the caller's transaction, so the entry exists exactly when the
 * data leaves. If the row cannot be written the whole transaction fails and the caller answers
 * 503 `access_log_unavailable`: no entry, no data. Sequencing into the Merkle tree happens later,
 * off the request path.
 */
export async function appendAccessEntry(
  ctx: RequestContext<Actor>,
  entry: AccessEntryInput,
): Promise<{ readonly id: string; readonly occurredAt: Date }> {
  if (!isOpenTransaction(ctx.db)) {
    throw new Error('appendAccessEntry must run inside the transaction that releases the data');
  }
  const occurredAt = ctx.clock();
  const id = uuidV7(occurredAt);
  try {
    // Hand-written: one of the two statements of every read (the query builder's cost per call is
    // about what the database spends on the insert). Columns as in db/schema.ts `accessLog`.
    await ctx.db.execute(sql`
      insert into records.access_log
        (id, occurred_at, subject_id, reader_kind, reader, reader_department, purpose, case_id,
         record_id, type_code, record_version, fields, outcome, denial_code, request_id)
      values (${id}, ${occurredAt.toISOString()}, ${entry.subjectId}, ${ctx.actor.kind},
        ${ctx.actor.subject}, ${ctx.actor.department ?? null}, ${entry.purpose},
        ${entry.caseId ?? null}, ${entry.recordId ?? null}, ${entry.typeCode ?? null},
        ${entry.recordVersion ?? null}, ${textArray(entry.fields)}::text[], ${entry.outcome},
        ${entry.denialCode ?? null}, ${ctx.requestId})`);
  } catch (err) {
    // The cause stays in the process (logged by the caller's transaction failure); the client
    // learns only that nothing was released.
    throw Object.assign(
      problem(
        'access_log_unavailable',
        'The access log could not be written; nothing was released.',
      ),
      { cause: err },
    );
  }
  return { id, occurredAt };
}

/** A PostgreSQL array literal of text (quoted elements, `"` and `\\` escaped), sent as one parameter. */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
