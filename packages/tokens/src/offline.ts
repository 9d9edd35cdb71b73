import { calculateJwkThumbprint, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { isTokenError, type TokenErrorCode } from './errors.js';
import { isPlainObject, type KeyLike, type KeyResolver, parseCompact } from './jws.js';
import { type PresentationClaims, verifyPresentationToken } from './presentation.js';
import {
  checkStatusListTime,
  MAX_STATUS_LIST_TOKEN_LENGTH,
  STATUS_LIST_CAPACITY,
  StatusType,
  type VerifiedStatusList,
  verifyStatusListSignature,
} from './status-list.js';

/**
 * A key resolver over a JWKS (e.g. a cached `/.well-known/jwks.json`). Only Ed25519 signing keys
 * are usable: anything else with a matching `kid` is as good as absent. Keys without a `kid` are
 * found by their RFC 7638 thumbprint, which is how the platform names its keys anyway.
 */
export function bundleKeyResolver(jwks: JSONWebKeySet): KeyResolver {
  const keys: readonly unknown[] = isPlainObject(jwks) && Array.isArray(jwks.keys) ? jwks.keys : [];
  const imported = new Map<string, Promise<KeyLike | undefined>>();

  async function find(kid: string): Promise<KeyLike | undefined> {
    for (const candidate of keys) {
      if (!isEd25519VerificationKey(candidate)) continue;
      const { kty, crv, x } = candidate;
      // Only the public members: a JWKS that leaked `d` must not become a signing key here.
      const publicJwk = { kty, crv, x } satisfies JWK;
      const candidateKid =
        typeof candidate.kid === 'string' ? candidate.kid : await thumbprintOrUndefined(publicJwk);
      if (candidateKid !== kid) continue;
      try {
        return await importJWK(publicJwk, 'EdDSA');
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  return {
    resolve(kid) {
      let key = imported.get(kid);
      if (key === undefined) {
        key = find(kid);
        imported.set(kid, key);
      }
      return key;
    },
  };
}

function isEd25519VerificationKey(
  value: unknown,
): value is { kty: 'OKP'; crv: 'Ed25519'; x: string; kid?: unknown } {
  if (!isPlainObject(value)) return false;
  if (value.kty !== 'OKP' || value.crv !== 'Ed25519' || typeof value.x !== 'string') return false;
  if (value.use !== undefined && value.use !== 'sig') return false;
  if (value.alg !== undefined && value.alg !== 'EdDSA' && value.alg !== 'Ed25519') return false;
  const ops = value.key_ops;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return false;
  return true;
}

async function thumbprintOrUndefined(jwk: JWK): Promise<string | undefined> {
  try {
    return await calculateJwkThumbprint(jwk, 'sha256');
  } catch {
    return undefined;
  }
}

export type OfflineRefusalCode =
  | TokenErrorCode
  | 'credential_revoked'
  | 'credential_suspended'
  | 'status_unknown';

export interface OfflineAccepted {
  readonly valid: true;
  readonly subject: string;
  readonly jti: string;
  readonly issuer: string;
  readonly expiresAt: Date;
  readonly deviceKeyId: string;
  readonly statusIndex: number;
  readonly status: 'valid';
  /** When the status list that vouches for the credential was issued. */
  readonly statusAsOf: Date;
  readonly statusAgeSeconds: number;
  /** The list is older than its `ttl`: still usable until it expires, but the bundle wants refreshing. */
  readonly statusStale: boolean;
}

export interface OfflineRefused {
  readonly valid: false;
  readonly code: OfflineRefusalCode;
  /** A sentence for the clerk. */
  readonly reason: string;
  readonly statusAsOf?: Date;
  readonly statusAgeSeconds?: number;
}

export type OfflineVerificationResult = OfflineAccepted | OfflineRefused;

export interface VerifyOfflineOptions {
  readonly jwks: JSONWebKeySet;
  /** `statuslist+jwt` tokens, as cached from `GET /v1/status-lists/{n}`. */
  readonly statusLists: readonly string[];
  readonly issuer: string;
  readonly now: Date;
  /** The `sub` that status list number `n` carries. */
  readonly statusListUri: (listNumber: number) => string;
  readonly clockToleranceSeconds?: number;
  readonly maxTtlSeconds?: number;
}

const REASONS: Readonly<Record<TokenErrorCode, string>> = {
  malformed_token: 'This is not a Tongban presentation code.',
  signature_invalid: 'The code was not signed by the expected issuer; it may be forged or altered.',
  unknown_key: 'The code was signed by a key this counter does not know; refresh the trust bundle.',
  presentation_expired: 'The code has expired; ask the resident to show a fresh one.',
  presentation_not_yet_valid: "The code is dated in the future; check this counter's clock.",
  status_list_expired: 'The revocation list has expired; refresh the trust bundle.',
  status_list_not_yet_valid:
    "The revocation list is dated in the future; check this counter's clock.",
  validation_failed: 'The code could not be checked.',
  // Record certificates never reach a counter's presentation check; listed for completeness.
  certificate_expired: 'This is an expired record certificate, not a presentation code.',
  certificate_not_yet_valid: 'This is a record certificate, not a presentation code.',
};

/**
 * Checks a presentation token with no network: signature and lifetime against a cached JWKS, then
 * revocation against cached status lists. It never claims more than it knows: a credential is only
 * reported valid when a current, verified list covers its index, and the result says how old that
 * list is (a counter offline for a day knows nothing about revocations of the last day).
 */
export async function verifyPresentationOffline(
  token: string,
  options: VerifyOfflineOptions,
): Promise<OfflineVerificationResult> {
  const resolver = bundleKeyResolver(options.jwks);
  let claims: PresentationClaims;
  try {
    ({ claims } = await verifyPresentationToken(token, {
      resolver,
      issuer: options.issuer,
      now: options.now,
      ...(options.clockToleranceSeconds === undefined
        ? {}
        : { clockToleranceSeconds: options.clockToleranceSeconds }),
      ...(options.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: options.maxTtlSeconds }),
    }));
  } catch (error) {
    if (!isTokenError(error)) throw error;
    return { valid: false, code: error.code, reason: REASONS[error.code] };
  }

  const listNumber = Math.floor(claims.sl / STATUS_LIST_CAPACITY);
  const uri = options.statusListUri(listNumber);
  const candidates: VerifiedStatusList[] = [];
  const failures: TokenErrorCode[] = [];
  for (const listToken of options.statusLists) {
    try {
      // Reading the unverified `sub` only picks which lists are worth a signature check.
      if (parseCompact(listToken, MAX_STATUS_LIST_TOKEN_LENGTH).payload.sub !== uri) continue;
      const list = await verifyStatusListSignature(listToken, {
        resolver,
        issuer: options.issuer,
      });
      candidates.push(list);
    } catch (error) {
      if (!isTokenError(error)) throw error;
      failures.push(error.code);
    }
  }
  const ignored =
    failures.length === 0
      ? ''
      : ` ${failures.length} list(s) in the bundle failed verification (${[...new Set(failures)].join(', ')}).`;

  const newest = candidates.sort((a, b) => b.issuedAt.getTime() - a.issuedAt.getTime())[0];
  if (newest === undefined) {
    return {
      valid: false,
      code: 'status_unknown',
      reason: `No revocation list for list ${listNumber} is available offline; refresh the trust bundle.${ignored}`,
    };
  }
  const asOf = {
    statusAsOf: newest.issuedAt,
    statusAgeSeconds: Math.max(
      0,
      Math.floor((options.now.getTime() - newest.issuedAt.getTime()) / 1000),
    ),
  };
  try {
    checkStatusListTime(newest, options.now, options.clockToleranceSeconds);
  } catch (error) {
    if (!isTokenError(error)) throw error;
    return { valid: false, code: 'status_unknown', reason: REASONS[error.code], ...asOf };
  }

  const status = newest.get(claims.sl - listNumber * STATUS_LIST_CAPACITY);
  switch (status) {
    case StatusType.VALID:
      return {
        valid: true,
        subject: claims.sub,
        jti: claims.jti,
        issuer: claims.iss,
        expiresAt: new Date(claims.exp * 1000),
        deviceKeyId: claims.cnf.kid,
        statusIndex: claims.sl,
        status: 'valid',
        ...asOf,
        statusStale: newest.ttl !== undefined && asOf.statusAgeSeconds > newest.ttl,
      };
    case StatusType.INVALID:
      return {
        valid: false,
        code: 'credential_revoked',
        reason: 'The credential has been revoked.',
        ...asOf,
      };
    case StatusType.SUSPENDED:
      return {
        valid: false,
        code: 'credential_suspended',
        reason: 'The credential is suspended.',
        ...asOf,
      };
    case undefined:
      return {
        valid: false,
        code: 'status_unknown',
        reason: `The revocation list does not cover index ${claims.sl}; refresh the trust bundle.`,
        ...asOf,
      };
    default:
      return {
        valid: false,
        code: 'status_unknown',
        reason: `The credential has status 0x${status.toString(16).padStart(2, '0')}, which this verifier does not understand.`,
        ...asOf,
      };
  }
}

/** One or two lines for a clerk's screen or a terminal. */
export function formatVerificationResult(result: OfflineVerificationResult): string {
  if (result.valid) {
    const stale = result.statusStale ? ' (list past its refresh time: refresh the bundle)' : '';
    return [
      `VALID — subject ${abbreviate(result.subject)}, not revoked as of ${formatAge(result.statusAgeSeconds)}${stale}`,
      `  code ${result.jti} expires ${result.expiresAt.toISOString()}; device key ${result.deviceKeyId}; status index ${result.statusIndex}`,
    ].join('\n');
  }
  const first = `REFUSED (${result.code}) — ${result.reason}`;
  if (result.statusAsOf === undefined || result.statusAgeSeconds === undefined) return first;
  return `${first}\n  status as of ${formatAge(result.statusAgeSeconds)} (${result.statusAsOf.toISOString()})`;
}

function abbreviate(subject: string): string {
  return subject.length <= 6 ? subject : `${subject.slice(0, 6)}…`;
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
