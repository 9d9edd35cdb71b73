import type { Actor } from '@tongban/auth';
import {
  decodeCursor,
  errors,
  type ListQuery,
  page,
  type RequestContext,
} from '@tongban/service-kit';
import { listConsentsOf } from '../../db/queries/consents.js';
import { residentOf } from './resident-of.js';
import { toConsent } from './to-consent.js';

/** The resident's own consents, newest first: active, expired and revoked, each with its status. */
export async function listConsents({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListQuery;
}) {
  const resident = residentOf(ctx.actor);
  const now = ctx.clock();
  const rows = await listConsentsOf(ctx.db, resident.subject, {
    after: afterOf(decodeCursor(input.cursor, 2)),
    limit: input.limit + 1,
  });
  return page(
    rows,
    input.limit,
    (row) => toConsent(row, now),
    (row) => [row.createdAt.toISOString(), row.id],
  );
}

function afterOf(key: (string | number)[] | undefined) {
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
