import { errors, type RequestContext } from '@tongban/service-kit';
import {
  encodeStatusList,
  issueStatusListToken,
  STATUS_LIST_CAPACITY,
  StatusType,
  statusListUrl,
} from '@tongban/tokens';
import { and, gte, lt, ne } from 'drizzle-orm';
import { credentials } from '../../db/schema.js';
import type { Actor, IdentityContext } from '../context.js';

/** Verifiers may cache a list this long (Token Status List `ttl`); online checks read the database. */
export const STATUS_LIST_TTL_SECONDS = 300;
/** A list stops being trustworthy a day after it was signed, even for an offline counter. */
export const STATUS_LIST_LIFETIME_SECONDS = 24 * 3600;
/** Lists a deployment can address: 16 × 2^20 credentials. */
export const MAX_STATUS_LISTS = 16;

/** The signed list n as served: from this replica's short cache, built when it is stale. */
export async function getStatusList({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined> & Pick<IdentityContext, 'keys' | 'config' | 'statusLists'>;
  input: { listNumber: number };
}): Promise<string> {
  const { listNumber } = input;
  return ctx.statusLists.get(
    listNumber,
    async () => (await publishStatusList({ ctx, listNumber })).token,
  );
}

/**
 * Builds and signs list n from the credentials whose index falls in it. Only non-valid rows are
 * read: valid is the zero status, which the fresh array already holds.
 */
export async function publishStatusList({
  ctx,
  listNumber,
}: {
  ctx: Pick<IdentityContext, 'db' | 'clock' | 'keys' | 'config'>;
  listNumber: number;
}) {
  if (!Number.isInteger(listNumber) || listNumber < 0 || listNumber >= MAX_STATUS_LISTS) {
    throw errors.notFound('No such status list.');
  }
  const from = listNumber * STATUS_LIST_CAPACITY;
  const rows = await ctx.db
    .select({ index: credentials.statusIndex, status: credentials.status })
    .from(credentials)
    .where(
      and(
        gte(credentials.statusIndex, from),
        lt(credentials.statusIndex, from + STATUS_LIST_CAPACITY),
        ne(credentials.status, 'valid'),
      ),
    );
  const statuses = new Uint8Array(STATUS_LIST_CAPACITY);
  for (const row of rows) {
    statuses[row.index - from] =
      row.status === 'revoked' ? StatusType.INVALID : StatusType.SUSPENDED;
  }
  const { kid, privateKey } = await ctx.keys.signingKey();
  const baseUrl = ctx.config.publicUrls[0] ?? '';
  return issueStatusListToken({
    key: privateKey,
    kid,
    issuer: ctx.config.issuer,
    uri: statusListUrl(baseUrl, listNumber),
    list: encodeStatusList(statuses, 2),
    now: ctx.clock(),
    ttlSeconds: STATUS_LIST_TTL_SECONDS,
    expiresInSeconds: STATUS_LIST_LIFETIME_SECONDS,
  });
}
