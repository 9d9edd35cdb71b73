import type { KeyResolver } from '@tongban/auth';
import {
  CASE_GRANT_ALG,
  CASE_GRANT_AUDIENCE,
  CASE_GRANT_CLOCK_TOLERANCE_SECONDS,
  CASE_GRANT_TYP,
  isCaseGrantClaims,
  MAX_CASE_GRANT_LIFETIME_SECONDS,
} from '@tongban/tokens';
import { jwtVerify } from 'jose';

// The grant's format (typ, audience, claims, lifetime) is @tongban/tokens' `CaseGrantClaims`,
// shared with workflow's issuer; what follows is records' side: the header rules and the check.
export const MAX_CASE_GRANT_LENGTH = 8 * 1024;

const MAX_HEADER_SEGMENT_LENGTH = 1024;
const MAX_KID_LENGTH = 64;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/**
 * The only header parameters a grant may carry. Allow-listing is what refuses embedded keys and
 * key URLs (`jwk`, `jku`, `x5u`, `x5c`), `crit` and `b64`: the key comes from workflow's JWKS by
 * `kid`, never from the token.
 */
const ALLOWED_HEADER_PARAMETERS = new Set(['alg', 'typ', 'kid']);

/** A grant whose signature, issuer, audience and lifetime hold. */
export interface CaseGrant {
  readonly subjectId: string;
  readonly caseId: string;
  readonly department: string;
  readonly types: readonly string[];
  readonly grantId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/**
 * What checking a request's grant found. Whether a verified grant covers a particular read (its
 * case, subject, department and type) is `grantCovers`, decided with the record in hand.
 */
export type CaseGrantCheck =
  | { readonly status: 'absent' }
  | { readonly status: 'expired' }
  | { readonly status: 'invalid' }
  | { readonly status: 'verified'; readonly grant: CaseGrant };

export interface CaseGrantVerifier {
  /** Never throws: every failure is a status. */
  check(header: string | undefined, now: Date): Promise<CaseGrantCheck>;
}

export interface CaseGrantVerifierOptions {
  /** Workflow's keys by `kid`. */
  readonly resolver: KeyResolver;
  /** `CASE_GRANT_ISSUER`. */
  readonly issuer: string;
}

export function caseGrantVerifier(options: CaseGrantVerifierOptions): CaseGrantVerifier {
  return { check: (header, now) => verifyCaseGrant(header, { ...options, now }) };
}

const INVALID = { status: 'invalid' } as const;

/**
 * Verifies a `Case-Grant` header (ADR 0013). The header is checked before any key is looked up,
 * so a grant that could never be valid costs no signature check and never makes the resolver
 * fetch workflow's JWKS. Each segment must be canonical base64url, so two different strings
 * never stand for the same grant.
 */
export async function verifyCaseGrant(
  header: string | undefined,
  options: CaseGrantVerifierOptions & { readonly now: Date },
): Promise<CaseGrantCheck> {
  if (header === undefined || header === '') return { status: 'absent' };
  const kid = kidOfAcceptableHeader(header);
  if (kid === undefined) return INVALID;

  let key: Awaited<ReturnType<KeyResolver['resolve']>>;
  try {
    key = await options.resolver.resolve(kid);
  } catch {
    key = undefined;
  }
  if (key === undefined) return INVALID;

  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(header, key, {
      algorithms: [CASE_GRANT_ALG],
      typ: CASE_GRANT_TYP,
      issuer: options.issuer,
      audience: CASE_GRANT_AUDIENCE,
      currentDate: options.now,
      clockTolerance: CASE_GRANT_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
    }));
  } catch (err) {
    // jose checks the signature before the claims: an expired grant is a genuine one.
    const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : '';
    return code === 'ERR_JWT_EXPIRED' ? { status: 'expired' } : INVALID;
  }
  if (!isCaseGrantClaims(payload)) return INVALID;
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (
    payload.exp <= payload.iat ||
    payload.exp - payload.iat > MAX_CASE_GRANT_LIFETIME_SECONDS ||
    // A grant from the future is a broken or forged issuer clock.
    payload.iat > nowSeconds + CASE_GRANT_CLOCK_TOLERANCE_SECONDS
  ) {
    return INVALID;
  }
  return {
    status: 'verified',
    grant: {
      subjectId: payload.sub,
      caseId: payload.case,
      department: payload.dept,
      types: payload.types,
      grantId: payload.jti,
      issuedAt: new Date(payload.iat * 1000),
      expiresAt: new Date(payload.exp * 1000),
    },
  };
}

/** True when the grant is for exactly this case, subject and department and names the type. */
export function grantCovers(
  grant: CaseGrant,
  read: {
    readonly caseId: string;
    readonly subjectId: string;
    readonly department: string;
    readonly typeCode: string;
  },
): boolean {
  return (
    grant.caseId === read.caseId &&
    grant.subjectId === read.subjectId &&
    grant.department === read.department &&
    grant.types.includes(read.typeCode)
  );
}

function kidOfAcceptableHeader(token: string): string | undefined {
  if (token.length > MAX_CASE_GRANT_LENGTH) return undefined;
  const segments = token.split('.');
  if (segments.length !== 3) return undefined;
  for (const segment of segments) {
    if (!SEGMENT.test(segment) || !isCanonicalBase64url(segment)) return undefined;
  }
  const [encodedHeader = ''] = segments;
  if (encodedHeader.length > MAX_HEADER_SEGMENT_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encodedHeader, 'base64url')),
    );
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const fields = parsed as Record<string, unknown>;
  const { alg, typ, kid } = fields;
  if (
    Object.keys(fields).some((name) => !ALLOWED_HEADER_PARAMETERS.has(name)) ||
    alg !== CASE_GRANT_ALG ||
    typ !== CASE_GRANT_TYP ||
    typeof kid !== 'string' ||
    kid.length === 0 ||
    kid.length > MAX_KID_LENGTH
  ) {
    return undefined;
  }
  return kid;
}

// Node's decoder ignores stray trailing bits; re-encoding shows whether the text was the one
// encoding of its bytes.
function isCanonicalBase64url(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}
