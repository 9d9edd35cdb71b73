import {
  type ApiError,
  decodeCursor,
  encodeCursor,
  errors,
  withTransaction,
} from '@tongban/service-kit';
import {
  findRecordTypeTerms,
  listCurrentRecords,
  subjectHoldsType,
} from '../../db/queries/record-reads.js';
import {
  checkCaseGrant,
  decideRead,
  logRefusal,
  logRelease,
  purposeEntry,
  type ReadContext,
  type ReleasedRecord,
  refusal,
  releasedRecord,
  requirePurpose,
} from './read-support.js';

export interface ListRecordsInput {
  readonly subjectId: string;
  readonly type: string;
  readonly purpose: string;
  readonly limit: number;
  readonly cursor?: string | undefined;
  /** Revoked records too, with `status: revoked` (default: active records only). */
  readonly includeRevoked?: boolean | undefined;
  readonly caseGrant?: string | undefined;
}

export interface RecordPage {
  readonly items: ReleasedRecord[];
  readonly nextCursor: string | null;
}

type Outcome =
  | { readonly kind: 'released'; readonly page: RecordPage }
  | { readonly kind: 'refused'; readonly error: ApiError };

/**
 * A subject's current records of one type, for a stated purpose: the active ones, or with
 * `includeRevoked` the revoked ones too (each at its last version, `status: revoked`, released as
 * the history releases a revoked record's versions). One decision covers the list
 * (reader, subject, type and purpose are the same for every record; a record's issuer is its
 * type's issuer). The access log gets one `released` entry per record on the page — the resident
 * sees each record that was read, with its version and fields — and a refused list gets one
 * `denied` entry naming the subject and type, when the subject holds records of that type.
 */
export async function listRecords({
  ctx,
  input,
}: {
  ctx: ReadContext;
  input: ListRecordsInput;
}): Promise<RecordPage> {
  const purpose = requirePurpose(input.purpose);
  const after = afterCursor(input.cursor);
  const caseGrant = await checkCaseGrant(ctx, purpose, input.caseGrant);
  const outcome = await withTransaction(ctx, async (ctx): Promise<Outcome> => {
    const type = await findRecordTypeTerms(ctx.db, input.type);
    if (type === undefined) {
      return {
        kind: 'refused',
        error: errors.validationFailed('No such record type.', {
          errors: [{ field: 'querystring.type', message: 'is not a record type' }],
        }),
      };
    }
    const target = {
      subjectId: input.subjectId,
      typeCode: type.code,
      issuerDepartment: type.issuerDepartment,
    };
    const decision = await decideRead(ctx, { target, purpose, view: 'list', caseGrant });
    if (decision.outcome === 'denied') {
      if (await subjectHoldsType(ctx.db, target.subjectId, target.typeCode)) {
        await logRefusal(
          ctx,
          { subjectId: target.subjectId, ...purposeEntry(purpose), typeCode: target.typeCode },
          decision.code,
        );
      }
      return { kind: 'refused', error: refusal(decision.code, target, purpose) };
    }
    const rows = await listCurrentRecords(ctx.db, {
      subjectId: target.subjectId,
      typeCode: target.typeCode,
      after,
      limit: input.limit + 1,
      includeRevoked: input.includeRevoked === true,
    });
    const visible = rows.slice(0, input.limit);
    const items: ReleasedRecord[] = [];
    for (const row of visible) {
      const record = releasedRecord(row.head, row.current, decision.fields);
      await logRelease(ctx, purpose, record);
      items.push(record);
    }
    const last = visible.at(-1);
    return {
      kind: 'released',
      page: {
        items,
        nextCursor:
          rows.length > input.limit && last !== undefined
            ? encodeCursor([last.createdAt.toISOString(), last.head.id])
            : null,
      },
    };
  });
  if (outcome.kind === 'refused') throw outcome.error;
  return outcome.page;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function afterCursor(cursor: string | undefined) {
  const key = decodeCursor(cursor, 2);
  if (key === undefined) return undefined;
  const [createdAt, id] = key;
  const at = typeof createdAt === 'string' ? new Date(createdAt) : undefined;
  if (at === undefined || Number.isNaN(at.getTime()) || typeof id !== 'string' || !UUID.test(id)) {
    throw errors.validationFailed('The cursor is not one this service issued.', {
      errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
    });
  }
  return { createdAt: at, id };
}
