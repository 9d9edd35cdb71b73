import type { Db } from '@tongban/db';
import { and, eq, isNull } from 'drizzle-orm';
import { devices } from '../../db/schema.js';
import { problem } from '../../errors.js';

/** The active device a resident request was proven to come from. */
export interface ResidentDevice {
  readonly id: string;
  readonly keyId: string;
  readonly jkt: string;
}

/**
 * The device behind a request whose proof already passed (the shared hook checked the proof, its
 * binding to the token and to `cnf.jkt`): it must still be active. A token outlives the
 * revocation of its device by up to 15 minutes; this check is what makes revocation take effect
 * at once at identity.
 */
export async function activeResidentDevice(
  db: Db,
  { subject, jkt }: { subject: string; jkt: string },
): Promise<ResidentDevice> {
  const [device] = await db
    .select({ id: devices.id, keyId: devices.keyId, jkt: devices.jkt })
    .from(devices)
    .where(and(eq(devices.jkt, jkt), eq(devices.subjectId, subject), isNull(devices.revokedAt)))
    .limit(1);
  if (!device) {
    // The token's device was revoked (or never belonged to this subject): the token is dead.
    throw problem('unauthorized', 'The device this token is bound to is revoked.', {
      headers: { 'www-authenticate': 'DPoP error="invalid_token"' },
    });
  }
  return device;
}
