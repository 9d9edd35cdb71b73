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
import { proofJtis } from '../../db/schema.js';
import { problem } from '../../errors.js';

/** A proof older than this (by its iat) is refused; RFC 9449 §11.1 leaves the window to the server. */
const MAX_PROOF_AGE_SECONDS = 60;
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_PROOF_LENGTH = 4096;

/** What a device proof is checked against: the proof header and the request it came with. */
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

/** Checks a request's device proof against this deployment's public URLs and clock. */
export function verifyRequestProof(
  ctx: { db: Db; config: { publicUrls: readonly string[] } },
  request: ProofRequest,
  now: Date,
  accessToken?: string,
): Promise<VerifiedProof> {
  return verifyDeviceProof(ctx.db, {
    ...request,
    publicUrls: ctx.config.publicUrls,
    now,
    ...(accessToken === undefined ? {} : { accessToken }),
  });
}

export interface VerifiedProof {
  readonly jwk: JWK;
  /** RFC 7638 SHA-256 thumbprint of the device key. */
  readonly jkt: string;
  readonly jti: string;
}

const invalid = (detail: string) =>
  problem('invalid_dpop_proof', detail, {
    headers: { 'www-authenticate': 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"' },
  });

/**
 * Checks a device proof (RFC 9449 §4.3): a `dpop+jwt` signed by the key in its own header (P-256
 * or Ed25519 only), fresh, for this method and URL, bound to the access token when one is sent,
 * and never seen before — the jti is recorded in the database so no replica accepts it twice.
 */
export async function verifyDeviceProof(
  db: Db,
  {
    proof,
    method,
    path,
    publicUrls,
    now,
    accessToken,
  }: {
    proof: string | undefined;
    method: string;
    path: string;
    publicUrls: readonly string[];
    now: Date;
    accessToken?: string;
  },
): Promise<VerifiedProof> {
  if (!proof) throw invalid('This request needs a DPoP proof signed by the device key.');
  if (proof.length > MAX_PROOF_LENGTH) throw invalid('The DPoP proof is too large.');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('The DPoP proof is not a JWS.');
  }
  const jwk = header.jwk as JWK | undefined;
  if (header.typ !== 'dpop+jwt' || !jwk || header.jku || header.x5u || header.x5c || header.crit) {
    throw invalid('The DPoP proof header is not acceptable.');
  }
  const curveOk =
    (header.alg === 'ES256' && jwk.kty === 'EC' && jwk.crv === 'P-256') ||
    (header.alg === 'EdDSA' && jwk.kty === 'OKP' && jwk.crv === 'Ed25519');
  if (!curveOk || 'd' in jwk)
    throw invalid('The device key must be a public P-256 or Ed25519 key.');

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: ['ES256', 'EdDSA'],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      maxTokenAge: MAX_PROOF_AGE_SECONDS,
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    }));
  } catch {
    throw invalid('The DPoP proof signature or age is not valid.');
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128)
    throw invalid('The proof jti is not acceptable.');
  if (typeof iat === 'number' && iat > now.getTime() / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw invalid('The DPoP proof is dated in the future.');
  }
  if (htm !== method) throw invalid('The DPoP proof was made for another method.');
  if (typeof htu !== 'string' || !publicUrls.some((base) => sameUrl(htu, `${base}${path}`))) {
    throw invalid('The DPoP proof was made for another URL.');
  }
  if (accessToken !== undefined) {
    const expected = createHash('sha256').update(accessToken, 'ascii').digest('base64url');
    if (ath !== expected) throw invalid('The DPoP proof is not bound to this access token.');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  const expiresAt = new Date(
    now.getTime() + (MAX_PROOF_AGE_SECONDS + 2 * CLOCK_TOLERANCE_SECONDS) * 1000,
  );
  const inserted = await db
    .insert(proofJtis)
    .values({ jkt, jti, expiresAt })
    .onConflictDoNothing()
    .returning({ jti: proofJtis.jti });
  if (inserted.length === 0) throw invalid('This DPoP proof was already used.');
  // Housekeeping on the write path: expired proof ids are no longer needed to detect replays.
  if (Math.random() < 0.01) await db.delete(proofJtis).where(lt(proofJtis.expiresAt, now));
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
