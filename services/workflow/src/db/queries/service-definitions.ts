import type { Db } from '@tongban/db';
import { asc, desc, gt } from 'drizzle-orm';
import { serviceDefinitions } from '../schema.js';

export type ServiceDefinitionRow = typeof serviceDefinitions.$inferSelect;

/** The newest version of each service, in code order. */
export function listLatestServices(
  db: Db,
  { after, limit }: { after: string | undefined; limit: number },
): Promise<ServiceDefinitionRow[]> {
  return db
    .selectDistinctOn([serviceDefinitions.code])
    .from(serviceDefinitions)
    .where(after === undefined ? undefined : gt(serviceDefinitions.code, after))
    .orderBy(asc(serviceDefinitions.code), desc(serviceDefinitions.version))
    .limit(limit);
}
