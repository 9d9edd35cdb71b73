import {
  errors,
  type IfMatch,
  ifMatchHolds,
  updateVersioned,
  withTransaction,
} from '@tongban/service-kit';
import { and, eq } from 'drizzle-orm';
import { findRecordType } from '../../db/queries/record-types.js';
import { appendRecordVersion, findIssuedRecord } from '../../db/queries/records.js';
import { recordsTable } from '../../db/schema.js';
import { problem } from '../../errors.js';
import { recordChange } from '../events/record-change.js';
import { recordDigest } from './digest.js';
import { recordEtag, toRecord } from './to-record.js';
import { publisherOf, type RecordWriteContext, writerDepartment } from './writer.js';

export interface SupersedeRecordInput {
  readonly id: string;
  readonly data: Record<string, unknown>;
  /** Required by the route (428 without it). */
  readonly ifMatch: IfMatch;
}

/**
 * The issuing department publishes a new version of a record: version n+1 is appended to
 * `record_versions` (the earlier ones stay as they were) and the head moves to it, guarded by
 * If-Match, with `record.superseded`, in one transaction. Another department's record is 404
 * (writers see only what they issued); a revoked record takes no new version (410
 * `record_revoked`); a stale If-Match is 412 `version_conflict`, and so is losing a race to a
 * concurrent writer holding the same version.
 */
export async function supersedeRecord({
  ctx,
  input,
}: {
  ctx: RecordWriteContext;
  input: SupersedeRecordInput;
}) {
  const department = writerDepartment(ctx.actor);
  const current = await findIssuedRecord(ctx.db, { id: input.id, issuerDepartment: department });
  if (current === undefined) throw errors.notFound('No such record among those you issued.');
  if (current.status === 'revoked') throw revoked();
  if (!ifMatchHolds(input.ifMatch, recordEtag(current))) {
    throw errors.versionConflict('The record changed since you read it.');
  }
  const type = await findRecordType(ctx.db, current.typeCode);
  if (type === undefined) throw new Error(`record ${current.id} has no type ${current.typeCode}`);
  ctx.validators.check(type, input.data);
  const digest = recordDigest(input.data);
  return withTransaction(ctx, async (ctx) => {
    const now = ctx.clock();
    // Conditional on the version checked above: of two writers holding it, one wins.
    const head = await updateVersioned(ctx.db, {
      table: recordsTable,
      id: current.id,
      versions: [current.version],
      set: { updatedAt: now },
      where: and(eq(recordsTable.issuerDepartment, department), eq(recordsTable.status, 'active')),
      notFound: () => errors.notFound('No such record among those you issued.'),
      conflict: () => errors.versionConflict('The record changed meanwhile.'),
      refused: revoked,
    });
    const version = await appendRecordVersion(ctx.db, {
      recordId: head.id,
      version: head.version,
      data: input.data,
      digest,
      publishedBy: publisherOf(ctx.actor),
      publishedAt: now,
    });
    await recordChange(ctx, {
      aggregate: { type: 'record', id: head.id, version: head.version },
      type: 'record.superseded',
      data: {
        recordId: head.id,
        type: head.typeCode,
        previousVersion: current.version,
        version: head.version,
        digest,
      },
    });
    return { head, record: toRecord(head, version) };
  });
}

const revoked = () =>
  problem('record_revoked', 'The record is revoked; a revoked record takes no new version.');
