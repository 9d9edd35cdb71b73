import type { Actor } from '@tongban/auth';
import { errors, type RequestContext } from '@tongban/service-kit';
import { findRecordType } from '../../db/queries/record-types.js';
import { toRecordType } from './to-record-type.js';

/** One record type; types are public, like their list. */
export async function getRecordType({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: { code: string };
}) {
  const row = await findRecordType(ctx.db, input.code);
  if (row === undefined) throw errors.notFound(`There is no record type ${input.code}.`);
  return toRecordType(row);
}
