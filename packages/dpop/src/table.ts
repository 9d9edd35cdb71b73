import { index, type PgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Proof ids seen recently, in the schema of the service that checks the proofs: a proof is
 * accepted once (RFC 9449 §11.1), by whichever replica sees it first. Rows outlive the proof's
 * acceptance window and are swept after it. Declare it in the service's schema.ts
 * (`export const proofJtis = dpopProofsTable(records);`) so drizzle-kit writes its migration.
 */
export function dpopProofsTable(schema: PgSchema) {
  return schema.table(
    'proof_jtis',
    {
      jkt: text('jkt').notNull(),
      jti: text('jti').notNull(),
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    },
    (t) => [
      primaryKey({ columns: [t.jkt, t.jti] }),
      index('proof_jtis_expires_idx').on(t.expiresAt),
    ],
  );
}

export type DpopProofsTable = ReturnType<typeof dpopProofsTable>;
