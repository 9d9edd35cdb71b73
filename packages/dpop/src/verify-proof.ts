import { createHash } from 'node:crypto';
import type { Db } from '@tongban/db';
import { lt } from 'drizzle-orm';
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { invalidProof } from './errors.js';
import type { DpopProofsTable } from './table.js';

/** A proof older than this (by its iat) is refused; RFC 9449 §11.1 leaves the window to the server. */
export const MAX_PROOF_AGE_SECONDS = 60;
export const PROOF_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_PROOF_LENGTH = 4096;
/** The algorithms a device key may use: what phones' WebCrypto offers without exporting the key. */
export const PROOF_ALGORITHMS = ['ES256', 'EdDSA'] as const;

/** What a proof is checked against: the `DPoP` header and the request it came with. */
export interface ProofRequest {
  readonly proof: string | undefined;
  readonly method: string;
  /** Path as the service received it, without the query (RFC 9449 §4.3 compares without it). */
  readonly path: string;
}

export function proofRequestOf(request: {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  url: string;
}): ProofRequest {
  const header = request.headers.dpop;
  return {
    proof: typeof header === 'string' ? header : undefined,
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
  };
}

export interface VerifiedProof {
  readonly jwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the device key. */
  readonly jkt: string;
  readonly jti: string;
}

export interface VerifyProofOptions extends ProofRequest {
  /** The service's public base URLs; `htu` must be one of them followed by the request path. */
  readonly publicUrls: readonly string[];
  readonly now: Date;
  /** The access token sent with the proof: the proof must carry its hash (`ath`). */
  readonly accessToken?: string;
  /** The token's `cnf.jkt`: the proof must be signed by this key. */
  readonly jkt?: string;
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3): a `dpop+jwt` signed by the key in its own header (P-256
 * or Ed25519 only), fresh, for this method and URL, bound to the access token and its key when
 * one is sent, and never seen before — the jti is recorded in the service's database (the
 * insert is the check), so no replica accepts it twice.
 */
export async function verifyDpopProof(
  db: Db,
  table: DpopProofsTable,
  { proof, method, path, publicUrls, now, accessToken, jkt: expectedJkt }: VerifyProofOptions,
): Promise<VerifiedProof> {
  if (!proof) throw invalidProof('This request needs a DPoP proof signed by the device key.');
  if (proof.length > MAX_PROOF_LENGTH) throw invalidProof('The DPoP proof is too large.');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalidProof('The DPoP proof is not a JWS.');
  }
  const jwk = header.jwk as JWK | undefined;
  if (header.typ !== 'dpop+jwt' || !jwk || header.jku || header.x5u || header.x5c || header.crit) {
    throw invalidProof('The DPoP proof header is not acceptable.');
  }
  const curveOk =
    (header.alg === 'ES256' && jwk.kty === 'EC' && jwk.crv === 'P-256') ||
    (header.alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519');
  if (!curveOk || 'd' in jwk)
    throw invalidProof('The device key must be a public P-256 or Ed25519 key.');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...PROOF_ALGORITHMS],
      currentDate: now,
      clockTolerance: PROOF_CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_PROOF_AGE_SECONDS,
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    }));
  } catch {
    throw invalidProof('The DPoP proof signature or age is not valid.');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128)
    throw invalidProof('The proof jti is not acceptable.');
  if (typeof iat === 'number' && iat > now.getTime() / 1000 + PROOF_CLOCK_TOLERANCE_SECONDS) {
    throw invalidProof('The DPoP proof is dated in the future.');
  }
  if (htm !== method) throw invalidProof('The DPoP proof was made for another method.');
  if (typeof htu !== 'string' || !publicUrls.some((base) => sameUrl(htu, `${base}${path}`))) {
    throw invalidProof('The DPoP proof was made for another URL.');
  }
  if (accessToken !== undefined) {
    const expected = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
    if (ath !== expected) throw invalidProof('The DPoP proof is not bound to this access token.');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  // RFC 9449 §7.1: the proof's key must be the one the token is bound to (`cnf.jkt`).
  if (expectedJkt !== undefined && jkt !== expectedJkt) {
    throw invalidProof('The proof was signed by another key than the token is bound to.');
  }
  const expiresAt = new Date(
    now.getTime() + (MAX_PROOF_AGE_SECONDS + 2 * PROOF_CLOCK_TOLERANCE_SECONDS) * 1000,
  );
  const inserted = await db
    .insert(table)
    .values({ jkt, jti, expiresAt })
    .onConflictDoNothing()
    .returning({ jti: table.jti });
  if (inserted.length === 0) throw invalidProof('This DPoP proof was already used.');
  // Housekeeping on the write path: expired proof ids are no longer needed to detect replays.
  if (Math.random() < 0.01) await db.delete(table).where(lt(table.expiresAt, now));
  return { jwk, jkt, jti };
}

// RFC 9449 §4.3: compare without query and fragment, scheme and host case-insensitively.
function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin === y.origin && x.pathname === y.pathname;
  } catch {
    return false;
  }
}
