import {
  type ApiError,
  decodeCursor,
  encodeCursor,
  errors,
  withTransaction,
} from '@tongban/service-kit';
import { findRecordHead, listRecordVersions } from '../../db/queries/record-reads.js';
import type { RecordPage } from './list-records.js';
import {
  checkCaseGrant,
  decideRead,
  logRelease,
  type ReadContext,
  type ReleasedRecord,
  recordNotFound,
  refuseRecord,
  releasedRecord,
  requirePurpose,
} from './read-support.js';

export interface ReadRecordHistoryInput {
  readonly recordId: string;
  readonly purpose: string;
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly caseGrant?: string | undefined;
}

type Outcome =
  | { readonly kind: 'released'; readonly page: RecordPage }
  | { readonly kind: 'refused'; readonly error: ApiError };

/**
 * Every version of a record, newest first, each with the fields the same decision as a read
 * releases. A revoked record's history stays readable by those allowed (its `status` says
 * revoked). One access-log entry per version on the page; a refusal is logged once.
 */
export async function readRecordHistory({
  ctx,
  input,
}: {
  ctx: ReadContext;
  input: ReadRecordHistoryInput;
}): Promise<RecordPage> {
  const purpose = requirePurpose(input.purpose);
  const before = beforeCursor(input.cursor);
  const caseGrant = await checkCaseGrant(ctx, purpose, input.caseGrant);
  const outcome = await withTransaction(ctx, async (ctx): Promise<Outcome> => {
    const head = await findRecordHead(ctx.db, input.recordId);
    if (head === undefined) return { kind: 'refused', error: recordNotFound() };
    const decision = await decideRead(ctx, { target: head, purpose, view: 'record', caseGrant });
    if (decision.outcome === 'denied') return refuseRecord(ctx, head, purpose, decision.code);
    const rows = await listRecordVersions(ctx.db, {
      recordId: head.id,
      before,
      limit: input.limit + 1,
    });
    const visible = rows.slice(0, input.limit);
    const items: ReleasedRecord[] = [];
    for (const version of visible) {
      const record = releasedRecord(head, version, decision.fields);
      await logRelease(ctx, purpose, record);
      items.push(record);
    }
    const last = visible.at(-1);
    return {
      kind: 'released',
      page: {
        items,
        nextCursor:
          rows.length > input.limit && last !== undefined ? encodeCursor([last.version]) : null,
      },
    };
  });
  if (outcome.kind === 'refused') throw outcome.error;
  return outcome.page;
}

// The column is a PostgreSQL integer: a larger number in a made-up cursor must not reach it.
const MAX_VERSION = 2_147_483_647;

function beforeCursor(cursor: string | undefined): number | undefined {
  const key = decodeCursor(cursor, 1);
  if (key === undefined) return undefined;
  const [version] = key;
  if (
    typeof version !== 'number' ||
    !Number.isInteger(version) ||
    version < 1 ||
    version > MAX_VERSION
  ) {
    throw errors.validationFailed('The cursor is not one this service issued.', {
      errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
    });
  }
  return version;
}
