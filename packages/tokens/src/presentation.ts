import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { TokenError } from './errors.js';
import {
  checkHeader,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  decodeBase64url,
  encodeBase64url,
  isNumericDate,
  isPlainObject,
  type KeyLike,
  type KeyResolver,
  MAX_KID_LENGTH,
  parseCompact,
  resolveOrThrow,
  SIGNING_ALGORITHM,
  signJwt,
  verifySignature,
} from './jws.js';
import { STATUS_LIST_CAPACITY } from './status-list.js';

export const PRESENTATION_TYP = 'tb-presentation+jwt';
export const DEFAULT_PRESENTATION_TTL_SECONDS = 60;

/**
 * Every token must fit in 400 characters, which keeps the QR code at version 15 (77×77 modules) at
 * error-correction level M, small enough for a counter camera to read off a phone at a glance.
 * With a short issuer id ("tb") and any index below 10^8 a token is 390–399 characters.
 */
export const PRESENTATION_TOKEN_BUDGET = 400;

/**
 * A real token is under 400 characters (it must fit a QR code a phone camera reads at a glance);
 * anything past 2 KB is refused before it is even split.
 */
export const MAX_PRESENTATION_TOKEN_LENGTH = 2048;

/** 96 bits, base64url: the size of `sub` and `jti`. */
const ID_96 = /^[A-Za-z0-9_-]{16}$/;
/** 64 bits, base64url: the device key id in `cnf.kid`. */
const ID_64 = /^[A-Za-z0-9_-]{11}$/;
const MAX_ISSUER_LENGTH = 256;
/** Printable ASCII: an issuer id is a short name or URL, and it is compared, logged and stored. */
const ISSUER = /^[\x21-\x7E]+$/;

/**
 * How many Token Status Lists of STATUS_LIST_CAPACITY indices a global index `sl` may span. 2048
 * lists is 2^31 credentials: every valid index fits the signed 32-bit column it is looked up in,
 * so a signed but out-of-range index is refused as malformed instead of reaching the database.
 */
export const MAX_STATUS_LISTS = 2048;
/** The largest `sl` a presentation token may carry (2^31 − 1). */
export const MAX_STATUS_INDEX = MAX_STATUS_LISTS * STATUS_LIST_CAPACITY - 1;
/** 9999-12-31T23:59:59Z: `iat` and `exp` past this are not dates any clock will reach. */
export const MAX_NUMERIC_DATE = 253_402_300_799;

export interface PresentationHeader {
  readonly alg: 'EdDSA';
  readonly typ: typeof PRESENTATION_TYP;
  readonly kid: string;
}

/** The whole payload. It carries no personal data: `sub` is pseudonymous. */
export interface PresentationClaims {
  readonly iss: string;
  readonly sub: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  /** The credential's global index in the Token Status Lists. */
  readonly sl: number;
  /** RFC 7800 §3.4: the key the token was issued to, by key id. */
  readonly cnf: { readonly kid: string };
}

export interface IssuePresentationInput {
  /** The issuer's Ed25519 private key. */
  readonly key: KeyLike;
  /** RFC 7638 thumbprint of the issuer's signing key (see `keyThumbprint`). */
  readonly kid: string;
  readonly issuer: string;
  readonly subject: string;
  readonly statusIndex: number;
  /** See `deviceKeyId`. */
  readonly deviceKeyId: string;
  readonly now: Date;
  readonly ttlSeconds?: number;
  /** Only for tests and replays of a known token; by default 96 fresh random bits. */
  readonly jti?: string;
}

export interface IssuedPresentation {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

export interface VerifyPresentationOptions {
  readonly resolver: KeyResolver;
  readonly issuer: string;
  readonly now: Date;
  readonly clockToleranceSeconds?: number;
  readonly maxTtlSeconds?: number;
}

export interface VerifiedPresentation {
  readonly header: PresentationHeader;
  readonly claims: PresentationClaims;
}

/** RFC 7638 SHA-256 thumbprint of a public key: the `kid` of the platform's signing keys. */
export async function keyThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

/**
 * The device key id: the first 8 bytes of the device public key's RFC 7638 SHA-256 thumbprint.
 * 64 bits is ample to tell one resident's devices apart and keeps the QR small; it names the key,
 * it does not authenticate it (the device's proof of possession does that, online).
 */
export async function deviceKeyId(jwk: JWK): Promise<string> {
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  return encodeBase64url(decodeBase64url(thumbprint, 'thumbprint').subarray(0, 8));
}

export async function issuePresentationToken(
  input: IssuePresentationInput,
): Promise<IssuedPresentation> {
  const ttl = input.ttlSeconds ?? DEFAULT_PRESENTATION_TTL_SECONDS;
  const jti = input.jti ?? encodeBase64url(randomBytes(12));
  invalidIf(!Number.isSafeInteger(ttl) || ttl <= 0, 'ttlSeconds must be a positive integer');
  invalidIf(
    input.kid.length === 0 || input.kid.length > MAX_KID_LENGTH,
    `kid must be 1 to ${MAX_KID_LENGTH} characters`,
  );
  invalidIf(!isIssuer(input.issuer), 'issuer must be a non-empty string');
  invalidIf(!ID_96.test(input.subject), 'subject must be 16 base64url characters (96 bits)');
  invalidIf(!ID_96.test(jti), 'jti must be 16 base64url characters (96 bits)');
  invalidIf(
    !isStatusIndex(input.statusIndex),
    `statusIndex must be an integer from 0 to ${MAX_STATUS_INDEX}`,
  );
  invalidIf(!ID_64.test(input.deviceKeyId), 'deviceKeyId must be 11 base64url characters');
  invalidIf(Number.isNaN(input.now.getTime()), 'now must be a valid date');

  const iat = Math.floor(input.now.getTime() / 1000);
  const claims: PresentationClaims = {
    iss: input.issuer,
    sub: input.subject,
    jti,
    iat,
    exp: iat + ttl,
    sl: input.statusIndex,
    cnf: { kid: input.deviceKeyId },
  };
  const token = await signJwt({ ...claims }, { typ: PRESENTATION_TYP, kid: input.kid }, input.key);
  invalidIf(
    token.length > PRESENTATION_TOKEN_BUDGET,
    `token is ${token.length} characters, over the ${PRESENTATION_TOKEN_BUDGET} budget: use a shorter issuer id`,
  );
  return { token, jti, expiresAt: new Date(claims.exp * 1000) };
}

/**
 * Verifies a presentation token. Throws only `TokenError`, whatever the input. Everything that can
 * be judged from the token alone (size, shape, header, issuer, lifetime) is judged before the key
 * lookup; the signature is checked before the clock, so a forged token is reported as forged even
 * when it is also stale.
 */
export async function verifyPresentationToken(
  token: string,
  options: VerifyPresentationOptions,
): Promise<VerifiedPresentation> {
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const maxTtl = options.maxTtlSeconds ?? DEFAULT_PRESENTATION_TTL_SECONDS;
  const { header, payload } = parseCompact(token, MAX_PRESENTATION_TOKEN_LENGTH);
  const { kid } = checkHeader(header, PRESENTATION_TYP);
  const claims = parseClaims(payload);
  if (claims.exp <= claims.iat || claims.exp - claims.iat > maxTtl) {
    throw new TokenError('malformed_token', `lifetime must be 1 to ${maxTtl} seconds`);
  }
  if (claims.iss !== options.issuer) {
    throw new TokenError('signature_invalid', 'token was not issued by the expected issuer');
  }

  await verifySignature(token, await resolveOrThrow(options.resolver, kid));

  // Compared in milliseconds so the window is exactly [iat − tolerance, exp + tolerance].
  const now = options.now.getTime();
  if (now > (claims.exp + tolerance) * 1000) {
    throw new TokenError('presentation_expired', 'presentation token has expired');
  }
  if (now < (claims.iat - tolerance) * 1000) {
    throw new TokenError('presentation_not_yet_valid', 'presentation token is not valid yet');
  }
  return { header: { alg: SIGNING_ALGORITHM, typ: PRESENTATION_TYP, kid }, claims };
}

function parseClaims(payload: Record<string, unknown>): PresentationClaims {
  const { iss, sub, jti, iat, exp, sl, cnf } = payload;
  if (!isIssuer(iss)) throw malformedClaim('iss');
  if (typeof sub !== 'string' || !ID_96.test(sub)) throw malformedClaim('sub');
  if (typeof jti !== 'string' || !ID_96.test(jti)) throw malformedClaim('jti');
  if (!isBoundedDate(iat)) throw malformedClaim('iat');
  if (!isBoundedDate(exp)) throw malformedClaim('exp');
  if (!isStatusIndex(sl)) throw malformedClaim('sl');
  if (!isPlainObject(cnf) || typeof cnf.kid !== 'string' || !ID_64.test(cnf.kid)) {
    throw malformedClaim('cnf');
  }
  return { iss, sub, jti, iat, exp, sl, cnf: { kid: cnf.kid } };
}

function isIssuer(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ISSUER_LENGTH && ISSUER.test(value);
}

function isBoundedDate(value: unknown): value is number {
  return isNumericDate(value) && value <= MAX_NUMERIC_DATE;
}

function isStatusIndex(value: unknown): value is number {
  return isNumericDate(value) && value <= MAX_STATUS_INDEX;
}

function malformedClaim(name: string): TokenError {
  return new TokenError('malformed_token', `claim "${name}" is missing or ill-typed`);
}

function invalidIf(condition: boolean, message: string): void {
  if (condition) throw new TokenError('validation_failed', message);
}
