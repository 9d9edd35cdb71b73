import type { Actor } from '@tongban/auth';
import { decodeCursor, errors, page, type RequestContext } from '@tongban/service-kit';
import { listPolicies as selectPolicies } from '../../db/queries/policies.js';
import { toPolicy } from './policy-authority.js';

export interface ListPoliciesInput {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly recordType?: string | undefined;
  readonly readerDepartment?: string | undefined;
  readonly status?: 'active' | 'withdrawn' | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Every department may see every policy: which department may read which fields of which record
 * type, and why, is transparency information, not a secret. Oldest first.
 */
export async function listPolicies({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListPoliciesInput;
}) {
  const after = decodeCursor(input.cursor, 1)?.[0];
  if (after !== undefined && (typeof after !== 'string' || !UUID.test(after))) {
    throw errors.validationFailed('The cursor is not one this service issued.', {
      errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
    });
  }
  const rows = await selectPolicies(ctx.db, {
    typeCode: input.recordType,
    readerDepartment: input.readerDepartment,
    status: input.status,
    after,
    limit: input.limit + 1,
  });
  return page(rows, input.limit, toPolicy, (row) => [row.id]);
}
