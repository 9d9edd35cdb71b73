import { errors, type IfMatch, ifMatchHolds, withTransaction } from '@tongban/service-kit';
import {
  findIssuedRecord,
  findRecordVersion,
  revokeActiveRecord,
} from '../../db/queries/records.js';
import { recordChange } from '../events/record-change.js';
import { recordEtag, toRecord } from './to-record.js';
import { type RecordWriteContext, writerDepartment } from './writer.js';

export interface RevokeRecordInput {
  readonly id: string;
  readonly reason: string;
  /** Optional: when sent, the revocation applies only to the version it names. */
  readonly ifMatch?: IfMatch | undefined;
}

/**
 * The issuing department revokes a record for good, with a reason: status, time and reason on
 * the head, `record.revoked`, one transaction. The data versions stay as they were (a revoked
 * record's history is still evidence). Revoking a revoked record is 409 `conflict`, not a
 * silent success: the first revocation's time and reason stand and the caller learns so.
 */
export async function revokeRecord({
  ctx,
  input,
}: {
  ctx: RecordWriteContext;
  input: RevokeRecordInput;
}) {
  const department = writerDepartment(ctx.actor);
  const current = await findIssuedRecord(ctx.db, { id: input.id, issuerDepartment: department });
  if (current === undefined) throw errors.notFound('No such record among those you issued.');
  if (current.status === 'revoked') throw alreadyRevoked();
  if (!ifMatchHolds(input.ifMatch, recordEtag(current))) {
    throw errors.versionConflict('The record changed since you read it.');
  }
  return withTransaction(ctx, async (ctx) => {
    const now = ctx.clock();
    const head = await revokeActiveRecord(ctx.db, {
      id: current.id,
      issuerDepartment: department,
      // Without If-Match a concurrent new version does not stop the revocation.
      versions: input.ifMatch === undefined ? undefined : [current.version],
      reason: input.reason,
      at: now,
    });
    if (head === undefined) {
      const again = await findIssuedRecord(ctx.db, {
        id: current.id,
        issuerDepartment: department,
      });
      if (again?.status === 'revoked') throw alreadyRevoked();
      throw errors.versionConflict('The record changed meanwhile.');
    }
    const version = await findRecordVersion(ctx.db, { recordId: head.id, version: head.version });
    if (version === undefined) throw new Error(`record ${head.id} lacks version ${head.version}`);
    // No reason in the event: it is free text, and the event may leave the service.
    await recordChange(ctx, {
      aggregate: { type: 'record', id: head.id, version: head.version },
      type: 'record.revoked',
      data: {
        recordId: head.id,
        type: head.typeCode,
        version: head.version,
      },
    });
    return { head, record: toRecord(head, version) };
  });
}

const alreadyRevoked = () =>
  errors.conflict('The record is already revoked; its first revocation stands.');
