import { errors, uuidV7, withTransaction } from '@tongban/service-kit';
import { findRecordType } from '../../db/queries/record-types.js';
import { insertRecord } from '../../db/queries/records.js';
import { recordChange } from '../events/record-change.js';
import { recordDigest } from './digest.js';
import { toRecord } from './to-record.js';
import { publisherOf, type RecordWriteContext, writerDepartment } from './writer.js';

export interface PublishRecordInput {
  /** The record type's code. */
  readonly type: string;
  /** Identity's pseudonymous subject id of the resident the record is about. */
  readonly subjectId: string;
  readonly data: Record<string, unknown>;
}

/**
 * The issuing department publishes a record: the head (active, version 1) and version 1 with
 * its data and digest, and `record.published`, in one transaction. An unknown type is a
 * validation failure of the body (400 on `body.type`, types being public), another department's
 * type is 403, data that does not match the type's field schema is 400 naming each path.
 */
export async function publishRecord({
  ctx,
  input,
}: {
  ctx: RecordWriteContext;
  input: PublishRecordInput;
}) {
  const department = writerDepartment(ctx.actor);
  const type = await findRecordType(ctx.db, input.type);
  if (type === undefined) {
    throw errors.validationFailed(`There is no record type ${input.type}.`, {
      errors: [{ field: 'body.type', message: 'is not a record type' }],
    });
  }
  if (type.issuerDepartment !== department) {
    throw errors.forbidden(`Only ${type.issuerDepartment} publishes ${type.code} records.`);
  }
  ctx.validators.check(type, input.data);
  const digest = recordDigest(input.data);
  return withTransaction(ctx, async (ctx) => {
    const now = ctx.clock();
    const id = uuidV7(now);
    const { head, version } = await insertRecord(
      ctx.db,
      {
        id,
        typeCode: type.code,
        subjectId: input.subjectId,
        issuerDepartment: department,
        status: 'active',
        version: 1,
        createdAt: now,
        updatedAt: now,
      },
      {
        recordId: id,
        version: 1,
        data: input.data,
        digest,
        publishedBy: publisherOf(ctx.actor),
        publishedAt: now,
      },
    );
    // Ids, the type and the digest only: the event may leave the service as a webhook. Not
    // even the pseudonymous subject: whose record it is, a subscriber learns by reading it,
    // with a purpose, and that read is in the access log.
    await recordChange(ctx, {
      aggregate: { type: 'record', id, version: 1 },
      type: 'record.published',
      data: { recordId: id, type: type.code, version: 1, digest },
    });
    return { head, record: toRecord(head, version) };
  });
}
