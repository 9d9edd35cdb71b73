import type { ConsentRow } from '../../db/queries/consents.js';

export type ConsentStatus = 'active' | 'revoked' | 'expired';

/** Revocation is final and wins over expiry; otherwise a consent is active until its expiry. */
export function consentStatus(row: ConsentRow, now: Date): ConsentStatus {
  if (row.revokedAt !== null) return 'revoked';
  return row.expiresAt.getTime() > now.getTime() ? 'active' : 'expired';
}

/** The API's view of a consent row (camelCase, an explicit allow-list of columns). */
export function toConsent(row: ConsentRow, now: Date) {
  return {
    id: row.id,
    department: row.department,
    recordType: row.typeCode,
    purpose: row.purpose,
    status: consentStatus(row, now),
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

export type Consent = ReturnType<typeof toConsent>;
