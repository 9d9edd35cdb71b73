import type { Db } from '@tongban/db';
import { type ProofRequest, type VerifiedProof, verifyDpopProof } from '@tongban/dpop';
import { proofJtis } from '../../db/schema.js';

export { type ProofRequest, proofRequestOf, type VerifiedProof } from '@tongban/dpop';

/**
 * Checks a request's device proof (the shared RFC 9449 check) against identity's public URLs and
 * proof-id table. Activation and sign-in call it without a token; every request made with a
 * resident token goes through the shared hook (routes/resident-proof.ts), which also binds the
 * proof to the token.
 */
export function verifyRequestProof(
  ctx: { db: Db; config: { publicUrls: readonly string[] } },
  request: ProofRequest,
  now: Date,
): Promise<VerifiedProof> {
  return verifyDpopProof(ctx.db, proofJtis, { ...request, publicUrls: ctx.config.publicUrls, now });
}
