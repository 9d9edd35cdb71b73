import { defineErrors } from '@tongban/service-kit';

/**
 * The one code the proof check answers with. A service that installs the check spreads this into
 * its own catalogue (`defineErrors('records', { ...DPOP_ERRORS, … })`), so the title and the
 * description a client reads are the same wherever a proof is refused.
 */
export const DPOP_ERRORS = {
  invalid_dpop_proof: {
    status: 401,
    title: 'Invalid device proof',
    description:
      "The DPoP proof (RFC 9449) is missing, malformed, stale, replayed or not from the token's device key.",
  },
} as const;

const dpopErrors = defineErrors('dpop', DPOP_ERRORS);

/** RFC 9449 §7.1: a refused proof is a 401 with a DPoP challenge naming the algorithms accepted. */
export const DPOP_CHALLENGE = 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"';

export function invalidProof(detail: string) {
  return dpopErrors.problem('invalid_dpop_proof', detail, {
    headers: { 'www-authenticate': DPOP_CHALLENGE },
  });
}
