import { SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';
import { DPOP_CHALLENGE } from './errors.js';
import {
  MAX_PROOF_AGE_SECONDS,
  MAX_PROOF_LENGTH,
  PROOF_CLOCK_TOLERANCE_SECONDS,
} from './verify-proof.js';

/** The service a proof is made for, as its OpenAPI document names it. */
export interface ProofAudience {
  /** The service's name, which is also its portal gateway prefix (`/api/<service>`). */
  readonly service: string;
  /** The environment variable holding its public base URLs, e.g. `RECORDS_PUBLIC_URLS`. */
  readonly publicUrlsVariable: string;
  /** An example of its own public origin, e.g. `https://records.example.cn`. */
  readonly exampleOrigin: string;
  /** Whether the service also refuses a token whose device was revoked (only identity can). */
  readonly checksDevice: boolean;
}

/**
 * The `DPoP` request header as the OpenAPI documents describe it (RFC 9449). It stays optional in
 * the schema on purpose: a missing proof is a 401 `invalid_dpop_proof` from the proof check, with
 * its `WWW-Authenticate` challenge, not a 400 from validation.
 */
export function proofHeaderDocs(audience: ProofAudience) {
  const { service, publicUrlsVariable: variable, exampleOrigin: origin } = audience;
  const gateway = `https://portal.example.cn/api/${service}`;
  const proof = [
    `DPoP proof (RFC 9449 §4.2), required: a compact JWS signed by the device key, at most ${MAX_PROOF_LENGTH} characters.`,
    'Header: `typ` = `dpop+jwt`; `alg` = `ES256` (P-256) or `EdDSA` (Ed25519); `jwk` = the public device key (no private members; no `jku`, `x5u`, `x5c` or `crit`).',
    `Claims: \`htm\` = this request’s method; \`htu\` = this request’s URL without query or fragment, on one of ${service}’s public base URLs (\`${variable}\`; with \`${origin},${gateway}\` the proof for this route names \`${origin}/v1/…\` or \`${gateway}/v1/…\`; the demo’s are ${service}’s own address and the portal’s \`/api/${service}\`; another name for the same server, such as \`localhost\` for an IP address, is refused); \`iat\` = now (accepted up to ${MAX_PROOF_AGE_SECONDS} s old, ${PROOF_CLOCK_TOLERANCE_SECONDS} s clock tolerance); \`jti\` = a fresh random id, 16–128 characters, accepted once.`,
  ].join('\n\n');
  const refused = `A missing, malformed, stale, replayed or mismatched proof is answered 401 \`invalid_dpop_proof\` with \`WWW-Authenticate: ${DPOP_CHALLENGE}\`.`;

  /** The header of an operation whose proof is used as `use` says. */
  const describe = (use: string) =>
    Type.Object({
      dpop: Type.Optional(
        SafeText({ maxLength: MAX_PROOF_LENGTH, description: `${proof}\n\n${use}\n\n${refused}` }),
      ),
    });

  const key = audience.checksDevice
    ? 'the key must be the token’s `cnf.jkt` on a device that is still active.'
    : 'the key must be the token’s `cnf.jkt`.';
  return {
    describe,
    /** Every route that takes a resident token (`Authorization: DPoP <token>`). */
    bound: describe(
      `With a resident token (\`Authorization: DPoP <token>\`): \`ath\` = base64url(SHA-256(token)), and ${key}`,
    ),
  };
}
