import type { KeyLike } from '@tongban/tokens';
import { jwtVerify } from 'jose';
import { Compile } from 'typebox/compile';
import {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYP,
  AccessTokenClaims,
  type Actor,
  actorFromClaims,
  MAX_KID_LENGTH,
} from './claims.js';
import { AuthError, type AuthFailure } from './errors.js';
import type { KeyResolver } from './keys.js';

export const MAX_ACCESS_TOKEN_LENGTH = 8 * 1024;
const MAX_HEADER_SEGMENT_LENGTH = 1024;
/** Architecture: at most 30 s of clock skew between any two services. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ALLOWED_TYPS = new Set([ACCESS_TOKEN_TYP, `application/${ACCESS_TOKEN_TYP}`]);
/**
 * The only header parameters the platform signs. Allow-listing rather than deny-listing is what
 * rejects embedded keys and key URLs (`jwk`, `jku`, `x5u`, `x5c`), `crit` extensions and `b64`,
 * and whatever header trick comes next.
 */
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

const claimsValidator = Compile(AccessTokenClaims);

export interface VerifyAccessTokenOptions {
  readonly resolver: KeyResolver;
  readonly issuer: string;
  /** This service's identifier; the token's `aud` must name it (RFC 9068 §4). */
  readonly audience: string | readonly string[];
  readonly now: Date;
  readonly clockToleranceSeconds?: number;
}

/**
 * Verifies an access token (RFC 9068 §4) and returns who it speaks for. Every failure is an
 * `AuthError` (401 `unauthorized`), whatever the input.
 *
 * The header is checked before any key is looked up, so a token that could never be valid —
 * wrong algorithm, wrong type, an embedded key, an oversized `kid` — costs no signature check
 * and can never make the resolver fetch the JWKS.
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<Actor> {
  const kid = kidFromAcceptableHeader(token);

  let key: KeyLike | undefined;
  try {
    key = await options.resolver.resolve(kid);
  } catch (cause) {
    throw new AuthError('unknown_key', { cause });
  }
  if (key === undefined) throw new AuthError('unknown_key');

  const clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ACCESS_TOKEN_ALG],
      typ: ACCESS_TOKEN_TYP,
      issuer: options.issuer,
      audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
      currentDate: options.now,
      clockTolerance,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
    }));
  } catch (cause) {
    throw new AuthError(failureOf(cause), { cause });
  }

  if (!claimsValidator.Check(payload)) throw new AuthError('claims_invalid');
  // jose checks `iat` only together with maxTokenAge; a token from the future is a broken or
  // forged issuer clock either way.
  if (payload.iat > Math.floor(options.now.getTime() / 1000) + clockTolerance) {
    throw new AuthError('claims_invalid');
  }
  return actorFromClaims(payload);
}

function kidFromAcceptableHeader(token: unknown): string {
  if (typeof token !== 'string' || token.length > MAX_ACCESS_TOKEN_LENGTH) {
    throw new AuthError('malformed');
  }
  if (!COMPACT_JWS.test(token)) throw new AuthError('malformed');
  const segment = token.slice(0, token.indexOf('.'));
  if (segment.length > MAX_HEADER_SEGMENT_LENGTH) throw new AuthError('malformed');

  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url')),
    );
  } catch (cause) {
    throw new AuthError('malformed', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new AuthError('malformed');
  }
  const fields = header as Record<string, unknown>;
  const { alg, typ, kid } = fields;
  if (
    Object.keys(fields).some((name) => !ALLOWED_HEADER_PARAMETERS.has(name)) ||
    alg !== ACCESS_TOKEN_ALG ||
    typeof typ !== 'string' ||
    !ALLOWED_TYPS.has(typ.toLowerCase()) ||
    typeof kid !== 'string' ||
    kid.length === 0 ||
    kid.length > MAX_KID_LENGTH
  ) {
    throw new AuthError('header_rejected');
  }
  return kid;
}

function failureOf(error: unknown): AuthFailure {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : '';
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature_invalid';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return 'claims_invalid';
    default:
      return 'malformed';
  }
}
