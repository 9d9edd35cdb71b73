import type { staffPasskeys } from '../../db/schema.js';

type PasskeyRow = typeof staffPasskeys.$inferSelect;

/** What the API shows of a passkey: never the public key or the counter. */
export function toPasskey(row: PasskeyRow) {
  return {
    id: row.id,
    label: row.label,
    credentialId: row.credentialId,
    transports: row.transports,
    deviceType: row.deviceType as 'singleDevice' | 'multiDevice',
    backedUp: row.backedUp,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** WebAuthn user handle of a staff member: their opaque id, never their name. */
export const userHandleOf = (staffId: string) => Buffer.from(staffId, 'utf8');
