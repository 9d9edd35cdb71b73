import type { KeyObject } from 'node:crypto';
import { type CryptoKey, compactVerify, SignJWT } from 'jose';
import { isTokenError, TokenError } from './errors.js';

/** A verification or signing key as jose takes it: WebCrypto or a Node KeyObject. */
export type KeyLike = CryptoKey | KeyObject;

/**
 * Finds the public key a token names by `kid`; `undefined` when there is none. The one resolver
 * shape of the platform: access tokens, presentation tokens, status lists and every service's own
 * signatures are checked through it, whether the keys come from a cached JWKS, a signing service's
 * own key table or an offline bundle. Verifiers only call it with a `kid` from a header that already
 * passed the structural checks below, so a hostile header cannot make it do work.
 */
export interface KeyResolver {
  resolve(kid: string): Promise<KeyLike | undefined>;
}

/** The platform signs with Ed25519 only; every verifier pins this (ARCHITECTURE, tokens and keys). */
export const SIGNING_ALGORITHM = 'EdDSA';

/** The most clock skew any verifier allows (ARCHITECTURE, tokens and keys). */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** RFC 7638 thumbprints are 43 characters; 64 leaves room without letting a `kid` carry a payload. */
export const MAX_KID_LENGTH = 64;

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function isBase64url(value: string): boolean {
  // A length of 1 mod 4 cannot come from any byte string.
  return BASE64URL.test(value) && value.length % 4 !== 1;
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

export function decodeBase64url(value: string, what: string): Uint8Array {
  if (!isBase64url(value)) {
    throw new TokenError('malformed_token', `${what} is not base64url`);
  }
  return new Uint8Array(Buffer.from(value, 'base64url'));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeJsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw new TokenError('malformed_token', `${what} is not UTF-8 JSON`, { cause });
  }
  if (!isPlainObject(parsed)) {
    throw new TokenError('malformed_token', `${what} is not a JSON object`);
  }
  return parsed;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export interface CompactParts {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

/** Splits and decodes a compact JWS without trusting any of it. */
export function parseCompact(token: unknown, maxLength: number): CompactParts {
  if (typeof token !== 'string') {
    throw new TokenError('malformed_token', 'token is not a string');
  }
  if (token.length > maxLength) {
    throw new TokenError('malformed_token', `token is longer than ${maxLength} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new TokenError('malformed_token', 'token is not a three-part compact JWS');
  }
  const [header, payload, signature] = parts as [string, string, string];
  // An empty signature is well-formed (alg "none"); the header check refuses it by its alg.
  if (signature !== '' && !isBase64url(signature)) {
    throw new TokenError('malformed_token', 'signature is not base64url');
  }
  return {
    header: decodeJsonObject(decodeBase64url(header, 'header'), 'header'),
    payload: decodeJsonObject(decodeBase64url(payload, 'payload'), 'payload'),
  };
}

// Members that would let the token choose its own verification key or processing rules.
const KEY_CARRYING_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'x5t#S256'] as const;

/**
 * Checks a protected header against the only shape our issuer produces, before any key lookup.
 * A header that differs in alg, typ, embedded keys, `crit` or extra members was not produced by
 * us, so it is `signature_invalid` whatever its signature.
 */
export function checkHeader(header: Record<string, unknown>, typ: string): { kid: string } {
  if (header.alg !== SIGNING_ALGORITHM) {
    throw new TokenError('signature_invalid', `alg must be ${SIGNING_ALGORITHM}`);
  }
  for (const member of KEY_CARRYING_MEMBERS) {
    if (member in header) {
      throw new TokenError('signature_invalid', `header must not carry "${member}"`);
    }
  }
  if ('crit' in header) {
    throw new TokenError('signature_invalid', 'header must not carry "crit"');
  }
  if (header.typ !== typ) {
    throw new TokenError('signature_invalid', `typ must be ${typ}`);
  }
  for (const member of Object.keys(header)) {
    if (member !== 'alg' && member !== 'typ' && member !== 'kid') {
      throw new TokenError('signature_invalid', `unexpected header member "${member}"`);
    }
  }
  const { kid } = header;
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new TokenError('malformed_token', 'kid is missing');
  }
  if (kid.length > MAX_KID_LENGTH) {
    throw new TokenError('malformed_token', `kid is longer than ${MAX_KID_LENGTH} characters`);
  }
  return { kid };
}

export async function resolveOrThrow(resolver: KeyResolver, kid: string): Promise<KeyLike> {
  let key: KeyLike | undefined;
  try {
    key = await resolver.resolve(kid);
  } catch (cause) {
    throw new TokenError('unknown_key', 'the signing key could not be resolved', { cause });
  }
  if (key === undefined) {
    throw new TokenError('unknown_key', 'no trusted key has this kid');
  }
  return key;
}

/** jose does the cryptography; its every complaint means the bytes were not signed by `key`. */
export async function verifySignature(token: string, key: KeyLike): Promise<void> {
  try {
    await compactVerify(token, key, { algorithms: [SIGNING_ALGORITHM] });
  } catch (cause) {
    if (isTokenError(cause)) throw cause;
    throw new TokenError('signature_invalid', 'signature does not verify', { cause });
  }
}

/** Signs with the platform's algorithm; a key jose cannot use for it is the caller's mistake. */
export async function signJwt(
  payload: Record<string, unknown>,
  header: { typ: string; kid: string },
  key: KeyLike,
): Promise<string> {
  try {
    return await new SignJWT(payload)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: header.typ, kid: header.kid })
      .sign(key);
  } catch (cause) {
    throw new TokenError('validation_failed', 'key is not an Ed25519 private key', { cause });
  }
}
