import type { Db } from '@tongban/db';
import { decodeCursor, type ListQuery, page } from '@tongban/service-kit';
import {
  listLatestServices,
  type ServiceDefinitionRow,
} from '../../db/queries/service-definitions.js';

export async function listServices({ ctx, input }: { ctx: { db: Db }; input: ListQuery }) {
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
