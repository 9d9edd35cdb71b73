import type { Actor } from '@tongban/auth';
import { decodeCursor, type ListQuery, page, type RequestContext } from '@tongban/service-kit';
import {
  listLatestServices,
  type ServiceDefinitionRow,
} from '../../db/queries/service-definitions.js';

/** The catalogue is public: the caller may be anonymous. */
export async function listServices({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: ListQuery;
}) {
  const after = decodeCursor(input.cursor, 1)?.[0];
  const rows = await listLatestServices(ctx.db, {
    after: typeof after === 'string' ? after : undefined,
    limit: input.limit + 1,
  });
  return page(rows, input.limit, toServiceSummary, (row) => [row.code]);
}

export function toServiceSummary(row: ServiceDefinitionRow) {
  return {
    code: row.code,
    version: row.version,
    name: { zh: row.nameZh, en: row.nameEn },
    publishedAt: row.publishedAt.toISOString(),
  };
}
