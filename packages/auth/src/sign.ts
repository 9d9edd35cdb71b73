import { randomBytes } from 'node:crypto';
import { type CryptoKey, type KeyObject, SignJWT } from 'jose';
import { Compile } from 'typebox/compile';
import {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYP,
  AccessTokenClaims,
  type AccessTokenHeader,
  type AccessTokenSubjectClaims,
  MAX_KID_LENGTH,
} from './claims.js';

export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 900;

export interface SignAccessTokenOptions {
  /** The Ed25519 private key. */
  readonly key: CryptoKey | KeyObject;
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly claims: AccessTokenSubjectClaims;
  readonly now: Date;
  readonly ttlSeconds?: number;
}

const claimsValidator = Compile(AccessTokenClaims);

/**
 * Issues an RFC 9068 access token. The payload is checked against the same schema verifiers use,
 * so the issuer cannot mint a token every service would then refuse.
 */
export async function signAccessToken(options: SignAccessTokenOptions): Promise<string> {
  const { key, kid, issuer, audience, claims, now } = options;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new TypeError('ttlSeconds must be a positive integer');
  }
  if (kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new TypeError(`kid must be 1 to ${MAX_KID_LENGTH} characters`);
  }
  const iat = Math.floor(now.getTime() / 1000);
  const payload = {
    ...claims,
    iss: issuer,
    aud: typeof audience === 'string' ? audience : [...audience],
    iat,
    exp: iat + ttlSeconds,
    // 128 random bits: unguessable, and unique enough to key a revocation or replay list.
    jti: randomBytes(16).toString('base64url'),
  };
  if (!claimsValidator.Check(payload)) {
    const first = claimsValidator.Errors(payload)[0];
    throw new TypeError(
      `Access token claims are invalid: ${first ? `${first.instancePath || '/'} ${first.message}` : 'unknown'}`,
    );
  }
  const header: AccessTokenHeader = { alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid };
  return new SignJWT(payload).setProtectedHeader(header).sign(key);
}
