import type { Db } from '@tongban/db';
import { and, asc, desc, eq, gt } from 'drizzle-orm';
import { serviceDefinitions } from '../schema.js';

export type ServiceDefinitionRow = typeof serviceDefinitions.$inferSelect;
export type NewServiceDefinitionRow = typeof serviceDefinitions.$inferInsert;

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

/** One version of a service, or its newest when `version` is undefined. */
export async function findServiceDefinition(
  db: Db,
  code: string,
  version: number | undefined,
): Promise<ServiceDefinitionRow | undefined> {
  const [row] = await db
    .select()
    .from(serviceDefinitions)
    .where(
      version === undefined
        ? eq(serviceDefinitions.code, code)
        : and(eq(serviceDefinitions.code, code), eq(serviceDefinitions.version, version)),
    )
    .orderBy(desc(serviceDefinitions.version))
    .limit(1);
  return row;
}

/** Adds a version; undefined when that (code, version) was taken meanwhile. Never updates. */
export async function insertServiceDefinition(
  db: Db,
  row: NewServiceDefinitionRow,
): Promise<ServiceDefinitionRow | undefined> {
  const [inserted] = await db
    .insert(serviceDefinitions)
    .values(row)
    .onConflictDoNothing()
    .returning();
  return inserted;
}
