import type { Db } from '@tongban/db';
import { asc } from 'drizzle-orm';
import type { JWK } from 'jose';
import type { SigningKeysTable } from './table.js';

/**
 * One key a service has signed with, public half only. It signed from `signingFrom` until
 * `signingUntil` (null while it still signs). `withdrawnAt` is set when the key was revoked
 * (compromise) rather than rotated out: nothing it signed should be trusted any more.
 */
export interface KeyHistoryEntry {
  readonly kid: string;
  readonly jwk: JWK;
  readonly signingFrom: Date;
  readonly signingUntil: Date | null;
  readonly withdrawnAt: Date | null;
}

/**
 * Every key in the service's table, oldest first, including those long gone from the JWKS:
 * what verifies a signature whose own lifetime is over but whose statement stays true (a signed
 * tree head of an append-only log). Public halves only; the master key is not needed.
 *
 * Rotation publishes a retired key for exactly `overlapMs` after it stops signing; revocation
 * cuts that short. So a key withdrawn from the JWKS sooner than the overlap was revoked — which
 * is why the caller passes the overlap its store uses.
 */
export async function signingKeyHistory(options: {
  readonly db: Db;
  readonly table: SigningKeysTable;
  readonly overlapMs: number;
}): Promise<KeyHistoryEntry[]> {
  const { db, table, overlapMs } = options;
  const rows = await db.select().from(table).orderBy(asc(table.createdAt), asc(table.kid));
  return rows.map((row) => {
    const { publishedUntil, retiredAt } = row;
    const revoked =
      publishedUntil !== null &&
      (retiredAt === null || publishedUntil.getTime() - retiredAt.getTime() < overlapMs);
    return {
      kid: row.kid,
      jwk: row.publicJwk as JWK,
      signingFrom: row.createdAt,
      signingUntil: retiredAt,
      withdrawnAt: revoked ? publishedUntil : null,
    };
  });
}
