import { decodeCursor, type ListQuery, page, type RequestContext } from '@tongban/service-kit';
import {
  type DepartmentRow,
  listDepartments as selectDepartments,
} from '../../db/queries/departments.js';
import type { Actor } from '../context.js';

export async function listDepartments({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor | undefined>;
  input: ListQuery;
}) {
  const after = decodeCursor(input.cursor, 1)?.[0];
  const rows = await selectDepartments(ctx.db, {
    after: typeof after === 'string' ? after : undefined,
    limit: input.limit + 1,
  });
  return page(rows, input.limit, toDepartment, (row) => [row.code]);
}

export function toDepartment(row: DepartmentRow) {
  return {
    code: row.code,
    name: { zh: row.nameZh, en: row.nameEn },
    createdAt: row.createdAt.toISOString(),
  };
}
