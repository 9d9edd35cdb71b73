import { SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';

/**
 * The `DPoP` request header as the OpenAPI documents describe it (RFC 9449). It stays optional in
 * the schema on purpose: a missing proof is a 401 `invalid_dpop_proof` from the proof check, with
 * its `WWW-Authenticate` challenge, not a 400 from validation.
 */
const PROOF = [
  'DPoP proof (RFC 9449 §4.2), required: a compact JWS signed by the device key, at most 4096 characters.',
  'Header: `typ` = `dpop+jwt`; `alg` = `ES256` (P-256) or `EdDSA` (Ed25519); `jwk` = the public device key (no private members; no `jku`, `x5u`, `x5c` or `crit`).',
  'Claims: `htm` = this request’s method; `htu` = this request’s URL without query or fragment, on one of identity’s public base URLs (`IDENTITY_PUBLIC_URLS`; with `https://id.example.cn,https://portal.example.cn/api/identity` the proof for this route names `https://id.example.cn/v1/…` or `https://portal.example.cn/api/identity/v1/…`; the demo’s are identity’s own address and the portal’s `/api/identity`; another name for the same server, such as `localhost` for an IP address, is refused); `iat` = now (accepted up to 60 s old, 30 s clock tolerance); `jti` = a fresh random id, 16–128 characters, accepted once.',
].join('\n\n');

const REFUSED =
  'A missing, malformed, stale, replayed or mismatched proof is answered 401 `invalid_dpop_proof` with `WWW-Authenticate: DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"`.';

const describe = (use: string) =>
  Type.Object({
    dpop: Type.Optional(
      SafeText({ maxLength: 4096, description: `${PROOF}\n\n${use}\n\n${REFUSED}` }),
    ),
  });

/** `POST /v1/devices/activate`: the proof introduces the key being activated. */
export const activationProofHeaders = describe(
  'Activation: the `jwk` in the proof header is the key being activated; no `ath`.',
);

/** `POST /v1/auth/device-token`: the proof signs the resident in. */
export const signInProofHeaders = describe(
  'Sign-in: the `jwk` must be the key of an active device; no `ath`. The token returned is bound to that key (`cnf.jkt`).',
);

/** Every route that takes a resident token (`Authorization: DPoP <token>`). */
export const boundProofHeaders = describe(
  'With a resident token (`Authorization: DPoP <token>`): `ath` = base64url(SHA-256(token)), and the key must be the token’s `cnf.jkt` on a device that is still active.',
);
