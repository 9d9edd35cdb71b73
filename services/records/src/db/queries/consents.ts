import type { Db } from '@tongban/db';
import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { consents, recordTypes } from '../schema.js';

export type ConsentRow = typeof consents.$inferSelect;

export async function recordTypeExists(db: Db, code: string): Promise<boolean> {
  const [row] = await db
    .select({ code: recordTypes.code })
    .from(recordTypes)
    .where(eq(recordTypes.code, code))
    .limit(1);
  return row !== undefined;
}

export async function insertConsent(
  db: Db,
  values: typeof consents.$inferInsert,
): Promise<ConsentRow> {
  const [row] = await db.insert(consents).values(values).returning();
  if (!row) throw new Error('consent insert returned no row');
  return row;
}

/** A subject's consents, newest first; `after` is the last row of the previous page. */
export function listConsentsOf(
  db: Db,
  subjectId: string,
  { after, limit }: { after: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<ConsentRow[]> {
  return db
    .select()
    .from(consents)
    .where(
      and(
        eq(consents.subjectId, subjectId),
        after === undefined
          ? undefined
          : or(
              lt(consents.createdAt, after.createdAt),
              and(eq(consents.createdAt, after.createdAt), lt(consents.id, after.id)),
            ),
      ),
    )
    .orderBy(desc(consents.createdAt), desc(consents.id))
    .limit(limit);
}

/** One of the subject's consents; another subject's id finds nothing, exactly like an unknown one. */
export async function consentOf(
  db: Db,
  subjectId: string,
  id: string,
): Promise<ConsentRow | undefined> {
  const [row] = await db
    .select()
    .from(consents)
    .where(and(eq(consents.id, id), eq(consents.subjectId, subjectId)))
    .limit(1);
  return row;
}

/** Revokes the subject's consent if it is not revoked yet; undefined when nothing changed. */
export async function revokeConsentOf(
  db: Db,
  subjectId: string,
  id: string,
  at: Date,
): Promise<ConsentRow | undefined> {
  const [row] = await db
    .update(consents)
    .set({ revokedAt: at })
    .where(and(eq(consents.id, id), eq(consents.subjectId, subjectId), isNull(consents.revokedAt)))
    .returning();
  return row;
}
