import type { Db } from '@tongban/db';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { consents } from '../../db/schema.js';

export interface ConsentQuestion {
  readonly subjectId: string;
  /** The reader department. */
  readonly department: string;
  readonly typeCode: string;
  /** The policy purpose (`case` for every case-bound read). */
  readonly purpose: string;
  /** The service clock's now, never the database's: one clock decides expiry everywhere. */
  readonly at: Date;
}

/**
 * True when the subject has a consent for exactly this department, record type and purpose that
 * has not expired and was not revoked. Run in the read's transaction, so a revocation committed
 * before the read began is seen by it: the first read after a revocation is denied.
 */
export async function hasValidConsent(db: Db, question: ConsentQuestion): Promise<boolean> {
  const [row] = await db
    .select({ id: consents.id })
    .from(consents)
    .where(
      and(
        eq(consents.subjectId, question.subjectId),
        eq(consents.department, question.department),
        eq(consents.typeCode, question.typeCode),
        eq(consents.purpose, question.purpose),
        isNull(consents.revokedAt),
        gt(consents.expiresAt, question.at),
      ),
    )
    .limit(1);
  return row !== undefined;
}
