import type { Actor } from '@tongban/auth';
import { decodeCursor, type ListQuery, page, type RequestContext } from '@tongban/service-kit';
import {
  listLatestServices,
  type ServiceDefinitionRow,
} from '../../db/queries/service-definitions.js';
import type { ServiceDefinitionInput } from './definition.js';

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
  return page(rows, input.limit, toService, (row) => [row.code]);
}

/** A published version as the API shows it; the stored document is the validated definition. */
export function toService(row: ServiceDefinitionRow) {
  const definition = row.definition as ServiceDefinitionInput;
  return {
    code: row.code,
    version: row.version,
    name: { zh: row.nameZh, en: row.nameEn },
    ...(definition.description === undefined ? {} : { description: definition.description }),
    form: definition.form,
    recordTypes: definition.recordTypes,
    steps: definition.steps,
    publishedAt: row.publishedAt.toISOString(),
  };
}
