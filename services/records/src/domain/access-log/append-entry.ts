import type { Actor } from '@tongban/auth';
import { isOpenTransaction, type RequestContext, uuidV7 } from '@tongban/service-kit';
import { accessLog } from '../../db/schema.js';
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
    await ctx.db.insert(accessLog).values({
      id,
      occurredAt,
      subjectId: entry.subjectId,
      readerKind: ctx.actor.kind,
      reader: ctx.actor.subject,
      readerDepartment: ctx.actor.department ?? null,
      purpose: entry.purpose,
      caseId: entry.caseId ?? null,
      recordId: entry.recordId ?? null,
      typeCode: entry.typeCode ?? null,
      recordVersion: entry.recordVersion ?? null,
      fields: [...entry.fields],
      outcome: entry.outcome,
      denialCode: entry.denialCode ?? null,
      requestId: ctx.requestId,
    });
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
