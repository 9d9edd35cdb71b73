import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, SignJWT } from 'jose';

export type DeviceAlg = 'ES256' | 'EdDSA';

/** What the phone signs a proof with: its private key and the public half it shows in the header. */
export interface ProofKey {
  readonly alg: DeviceAlg;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * A DPoP proof (RFC 9449 §4.2) for one request: `htm` and `htu` name it (identity compares `htu`
 * with its own public URLs, so the phone uses the base URL it was given), `jti` makes it single
 * use, and `ath` binds it to the access token sent alongside it.
 */
export async function makeProof(
  key: ProofKey,
  request: { method: string; url: string; accessToken?: string; now?: Date },
): Promise<string> {
  const iat = Math.floor((request.now ?? new Date()).getTime() / 1000);
  return new SignJWT({
    htm: request.method,
    htu: request.url,
    iat,
    jti: randomUUID(),
    ...(request.accessToken === undefined
      ? {}
      : { ath: createHash('sha256').update(request.accessToken, 'ascii').digest('base64url') }),
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk })
    .sign(key.privateKey);
}
