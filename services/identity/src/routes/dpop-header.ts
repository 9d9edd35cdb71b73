import { proofHeaderDocs } from '@tongban/dpop';

/** The `DPoP` request header as identity's OpenAPI document describes it (RFC 9449). */
const docs = proofHeaderDocs({
  service: 'identity',
  publicUrlsVariable: 'IDENTITY_PUBLIC_URLS',
  exampleOrigin: 'https://id.example.cn',
  checksDevice: true,
});

/** `POST /v1/devices/activate`: the proof introduces the key being activated. */
export const activationProofHeaders = docs.describe(
  'Activation: the `jwk` in the proof header is the key being activated; no `ath`.',
);

/** `POST /v1/auth/device-token`: the proof signs the resident in. */
export const signInProofHeaders = docs.describe(
  'Sign-in: the `jwk` must be the key of an active device; no `ath`. The token returned is bound to that key (`cnf.jkt`).',
);

/** Every route that takes a resident token (`Authorization: DPoP <token>`). */
export const boundProofHeaders = docs.bound;
