import type { ApiError } from '@tongban/service-kit';
import { withTransaction } from '@tongban/service-kit';
import { findRecordForRead } from '../../db/queries/record-reads.js';
import {
  checkCaseGrant,
  decideRead,
  logRelease,
  policyKeyOf,
  type ReadAccess,
  type ReadContext,
  type ReleasedRecord,
  recordNotFound,
  refuseRecord,
  releasedRecord,
  requirePurpose,
} from './read-support.js';

export interface ReadRecordInput {
  readonly recordId: string;
  /** As stated by the caller: a policy purpose, `case:<caseId>` or `self`. */
  readonly purpose: string;
  /** An older version; the current one when absent. */
  readonly version?: number | undefined;
  /** The `Case-Grant` header, for `case:<caseId>` purposes. */
  readonly caseGrant?: string | undefined;
}

/** What a single read hands back: the released record and the facts of the read itself. */
export interface RecordRead {
  readonly record: ReleasedRecord;
  readonly access: ReadAccess;
}

type Outcome =
  | { readonly kind: 'released'; readonly read: RecordRead }
  | { readonly kind: 'refused'; readonly error: ApiError };

/**
 * Reads one record (its current version, or `version`) for a stated purpose, releasing only the
 * fields ADR 0013's decision allows. The data is read and its access-log entry appended in one
 * transaction: if the entry cannot be written nothing is released (503 `access_log_unavailable`).
 * A refusal of an existing record is logged too, and that entry is committed before the refusal
 * is thrown — so call this outside any transaction of your own, or the refusal's entry would be
 * rolled back with it.
 */
export async function readRecord({
  ctx,
  input,
}: {
  ctx: ReadContext;
  input: ReadRecordInput;
}): Promise<RecordRead> {
  const purpose = requirePurpose(input.purpose);
  const caseGrant = await checkCaseGrant(ctx, purpose, input.caseGrant);
  const outcome = await withTransaction(ctx, async (ctx): Promise<Outcome> => {
    const found = await findRecordForRead(ctx.db, {
      id: input.recordId,
      version: input.version,
      policyKey: policyKeyOf(ctx, purpose),
    });
    if (found === undefined) return { kind: 'refused', error: recordNotFound() };
    const { head } = found;
    const decision = await decideRead(ctx, {
      target: head,
      purpose,
      view: 'record',
      caseGrant,
      policy: found.policy,
    });
    if (decision.outcome === 'denied') return refuseRecord(ctx, head, purpose, decision.code);
    if (head.status === 'revoked') return refuseRecord(ctx, head, purpose, 'record_revoked');
    const { version } = found;
    if (version === undefined) return { kind: 'refused', error: recordNotFound() };
    const record = releasedRecord(head, version, decision.fields);
    const access = await logRelease(ctx, purpose, record);
    return { kind: 'released', read: { record, access } };
  });
  if (outcome.kind === 'refused') throw outcome.error;
  return outcome.read;
}
