import type { KeyResolver } from '@tongban/tokens';
import { type CryptoKey, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import { MAX_KID_LENGTH } from './claims.js';

// The resolver shape is the token package's (usable by an offline verifier without this package);
// re-exported so services that verify access tokens need only one import.
export type { KeyResolver } from '@tongban/tokens';

export type VerificationKey = CryptoKey;

/**
 * Imports only Ed25519 public keys meant for verifying signatures. Anything else in the set — other
 * curves, encryption keys, a private key published by mistake, a `kid` used twice — is skipped,
 * so a hostile or broken JWKS can at worst remove keys, never add a kind we do not verify with.
 */
export async function importVerificationKeys(
  jwks: JSONWebKeySet,
): Promise<Map<string, VerificationKey>> {
  const candidates = new Map<string, JWK | null>();
  const keys: unknown = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return new Map();
  for (const jwk of keys as unknown[]) {
    if (!isEd25519VerificationJwk(jwk)) continue;
    // An ambiguous kid cannot be trusted to name the right key: drop it entirely.
    candidates.set(jwk.kid, candidates.has(jwk.kid) ? null : jwk);
  }
  const imported = new Map<string, VerificationKey>();
  for (const [kid, jwk] of candidates) {
    if (jwk === null) continue;
    try {
      // Rebuilt from the three public members, so nothing else in the JWK influences the import.
      const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'EdDSA');
      if (isCryptoKey(key)) imported.set(kid, key);
    } catch {
      // Not a valid point on the curve: the key is unusable, the rest of the set is not.
    }
  }
  return imported;
}

function isEd25519VerificationJwk(value: unknown): value is JWK & { kid: string; x: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const jwk = value as Record<string, unknown>;
  return (
    jwk.kty === 'OKP' &&
    jwk.crv === 'Ed25519' &&
    typeof jwk.x === 'string' &&
    /^[A-Za-z0-9_-]{43}$/.test(jwk.x) &&
    jwk.d === undefined &&
    typeof jwk.kid === 'string' &&
    jwk.kid.length > 0 &&
    jwk.kid.length <= MAX_KID_LENGTH &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (jwk.key_ops === undefined || (Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) &&
    (jwk.alg === undefined || jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519')
  );
}

function isCryptoKey(key: unknown): key is VerificationKey {
  return typeof key === 'object' && key !== null && 'type' in key && key.type === 'public';
}

/** For a service that holds the key set itself (identity verifying its own tokens, tests). */
export function localKeyResolver(jwks: JSONWebKeySet): KeyResolver {
  let keys: Promise<Map<string, VerificationKey>> | undefined;
  return {
    async resolve(kid) {
      keys ??= importVerificationKeys(jwks);
      return (await keys).get(kid);
    },
  };
}

export interface JwksKeyResolverOptions {
  readonly fetchJwks: () => Promise<JSONWebKeySet>;
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly now: () => number;
  /**
   * A fetched set answers lookups until this long after its fetch began — an absolute time, never
   * moved by lookups. After it, a lookup waits for a fresh set. Default 10 s.
   */
  readonly cacheTtlMs?: number;
  /** Floor between two fetches, however many unknown `kid`s arrive (at most `cacheTtlMs`). Default 5 s. */
  readonly minRefetchIntervalMs?: number;
  /**
   * While refreshes fail, the last fetched set keeps answering until this long after its fetch
   * began; then every kid is refused until a fetch succeeds. Default 5 min.
   */
  readonly maxStaleMs?: number;
}

export const DEFAULT_JWKS_CACHE_TTL_MS = 10_000;
export const DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS = 5_000;
export const DEFAULT_JWKS_MAX_STALE_MS = 300_000;

/**
 * Keys by `kid` from a remote JWKS, cached until an absolute expiry. The issuer's current set is
 * the only authority: a kid missing from a freshly fetched set stops resolving at once, which is
 * how a withdrawn key reaches this process (ADR 0008).
 *
 * An unknown `kid` is the signal of a rotation, so it triggers a refetch — but at most one per
 * `minRefetchIntervalMs`, shared by every caller waiting, or a stream of made-up `kid`s would
 * turn each request into a fetch against identity. Rotation therefore needs the issuer to publish
 * a new key before signing with it (the architecture keeps a retired key published until its
 * tokens expire).
 */
export function createJwksKeyResolver(options: JwksKeyResolverOptions): KeyResolver {
  const { fetchJwks, now } = options;
  const cacheTtlMs = options.cacheTtlMs ?? DEFAULT_JWKS_CACHE_TTL_MS;
  // A floor above the lifetime would leave an expired set without any way to refresh it.
  const minRefetchIntervalMs = Math.min(
    options.minRefetchIntervalMs ?? DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS,
    cacheTtlMs,
  );
  const maxStaleMs = Math.max(options.maxStaleMs ?? DEFAULT_JWKS_MAX_STALE_MS, cacheTtlMs);

  let keys = new Map<string, VerificationKey>();
  // When the fetch that produced `keys` began: the set's ages are counted from there, so time
  // spent waiting for identity's answer never lengthens its life.
  let fetchedAt: number | undefined;
  let attemptedAt: number | undefined;
  let inFlight: Promise<void> | undefined;

  const age = () => (fetchedAt === undefined ? Number.POSITIVE_INFINITY : now() - fetchedAt);
  const mayFetch = () => attemptedAt === undefined || now() - attemptedAt >= minRefetchIntervalMs;

  // Never rejects. A fetch that fails (network, status, not a JWKS) keeps the previous set, because
  // refusing every token while identity is briefly unreachable would be the worse failure — but
  // only up to maxStaleMs. A fetch that succeeds replaces the set whatever it holds, even nothing.
  function refresh(): Promise<void> {
    if (inFlight !== undefined) return inFlight;
    const startedAt = now();
    attemptedAt = startedAt;
    inFlight = (async () => {
      try {
        keys = await importVerificationKeys(await fetchJwks());
        fetchedAt = startedAt;
      } catch {
        // Keep the previous set; the next attempt waits for minRefetchIntervalMs.
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  // The set as it may be used now: a set past maxStaleMs answers nothing.
  const usable = (kid: string) => (age() < maxStaleMs ? keys.get(kid) : undefined);

  return {
    async resolve(kid) {
      if (age() < cacheTtlMs) {
        const known = keys.get(kid);
        if (known !== undefined) {
          // In the second half of its life, refresh behind the request, so steady traffic finds a
          // fresh set ready and never waits for identity.
          if (age() >= cacheTtlMs / 2 && inFlight === undefined && mayFetch()) void refresh();
          return known;
        }
        // Unknown while fresh: perhaps a rotation. Join the fetch under way, or start one if the
        // floor allows.
        if (inFlight !== undefined) await inFlight;
        else if (mayFetch()) await refresh();
        return usable(kid);
      }
      // Expired: nothing is answered from this set before a refresh has been tried.
      if (inFlight !== undefined) await inFlight;
      else if (mayFetch()) await refresh();
      return usable(kid);
    },
  };
}

export interface HttpJwksFetcherOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export const MAX_JWKS_BYTES = 256 * 1024;

/**
 * GETs a JWKS with a deadline covering the whole exchange (headers and body), refusing redirects,
 * non-JSON answers and bodies over `maxBytes` — counted while streaming, since Content-Length may
 * be absent or lie.
 */
export function httpJwksFetcher(
  url: string | URL,
  options: HttpJwksFetcherOptions = {},
): () => Promise<JSONWebKeySet> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? MAX_JWKS_BYTES;
  const target = new URL(url);
  return async () => {
    const response = await fetch(target, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    try {
      if (!response.ok) throw new Error(`JWKS answered HTTP ${response.status}`);
      const mediaType = (response.headers.get('content-type') ?? '')
        .split(';')[0]
        ?.trim()
        .toLowerCase();
      if (mediaType !== 'application/json' && mediaType !== 'application/jwk-set+json') {
        throw new Error(`JWKS answered ${mediaType || 'no content type'}, not JSON`);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) throw new Error(`JWKS is larger than ${maxBytes} bytes`);
      const text = await readCapped(response, maxBytes);
      const parsed: unknown = JSON.parse(text);
      if (
        typeof parsed !== 'object' ||
        parsed === null ||
        !Array.isArray((parsed as { keys?: unknown }).keys)
      ) {
        throw new Error('JWKS has no "keys" array');
      }
      return parsed as JSONWebKeySet;
    } finally {
      // Releases the connection when we stopped reading early; a no-op once the body is consumed.
      await response.body?.cancel().catch(() => undefined);
    }
  };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`JWKS is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  reader.releaseLock();
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}
