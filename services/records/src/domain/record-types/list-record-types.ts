import type { Actor } from '@tongban/auth';
import { decodeCursor, type ListQuery, page, type RequestContext } from '@tongban/service-kit';
import { listRecordTypes as selectRecordTypes } from '../../db/queries/record-types.js';
import { toRecordType } from './to-record-type.js';

export async function listRecordTypes({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: ListQuery;
}) {
  const after = decodeCursor(input.cursor, 1)?.[0];
  const rows = await selectRecordTypes(ctx.db, {
    after: typeof after === 'string' ? after : undefined,
    limit: input.limit + 1,
  });
  return page(rows, input.limit, toRecordType, (row) => [row.code]);
}
