import type { RequestContext } from '@tongban/service-kit';
import { and, eq, isNull } from 'drizzle-orm';
import { devices } from '../../db/schema.js';
import { problem } from '../../errors.js';
import type { Actor, IdentityContext } from '../context.js';
import { type ProofRequest, verifyRequestProof } from './device-proof.js';

/** The active device a resident request was proven to come from. */
export interface ResidentDevice {
  readonly id: string;
  readonly keyId: string;
  readonly jkt: string;
}

/**
 * Every request made with a resident token (RFC 9449 §7.1): a fresh, single-use proof for this
 * method and URL, bound to this token (`ath`), signed by the key the token is bound to
 * (`cnf.jkt`), from a device that is still active. A token outlives the revocation of its device
 * by up to 15 minutes; the device check is what makes revocation take effect at once.
 */
export async function verifyResidentRequest({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor> & Pick<IdentityContext, 'config'>;
  input: { request: ProofRequest; accessToken: string };
}): Promise<ResidentDevice> {
  const { actor } = ctx;
  if (actor.kind !== 'resident' || actor.dpopKeyThumbprint === undefined) {
    throw problem('invalid_dpop_proof', 'A resident token must be bound to a device key.', {
      headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"' },
    });
  }
  const proof = await verifyRequestProof(ctx, input.request, ctx.clock(), input.accessToken);
  if (proof.jkt !== actor.dpopKeyThumbprint) {
    throw problem(
      'invalid_dpop_proof',
      'The proof was signed by another key than the token is bound to.',
      { headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"' } },
    );
  }
  const [device] = await ctx.db
    .select({ id: devices.id, keyId: devices.keyId, jkt: devices.jkt })
    .from(devices)
    .where(
      and(
        eq(devices.jkt, proof.jkt),
        eq(devices.subjectId, actor.subject),
        isNull(devices.revokedAt),
      ),
    )
    .limit(1);
  if (!device) {
    // The token's device was revoked (or never belonged to this subject): the token is dead.
    throw problem('unauthorized', 'The device this token is bound to is revoked.', {
      headers: { 'www-authenticate': 'DPoP error="invalid_token"' },
    });
  }
  return device;
}
