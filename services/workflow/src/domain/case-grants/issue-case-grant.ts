import type { SigningKeyStore } from '@tongban/keys';
import {
  CASE_GRANT_AUDIENCE,
  CASE_GRANT_TYP,
  type CaseGrantClaims,
  caseGrantClaimsProblem,
  DEFAULT_CASE_GRANT_ISSUER,
  MAX_CASE_GRANT_LIFETIME_SECONDS,
} from '@tongban/tokens';

/** A grant lives this long unless the caller asks for less (or more, up to the cap). */
export const DEFAULT_CASE_GRANT_LIFETIME_SECONDS = 5 * 60;

export interface IssueCaseGrantInput {
  readonly caseId: string;
  /** The subject whose records the case reads. */
  readonly subjectId: string;
  /** The reading department. */
  readonly department: string;
  /** The record type codes the case needs from that department's reads. */
  readonly types: readonly string[];
  /** Default 300 s; more than `MAX_CASE_GRANT_LIFETIME_SECONDS` is capped to it. */
  readonly lifetimeSeconds?: number;
}

export interface IssuedCaseGrant {
  /** The compact JWS, for records' `Case-Grant` header. */
  readonly token: string;
  readonly claims: CaseGrantClaims;
}

/**
 * Signs a case grant (ADR 0013) with workflow's own key: the key store's active key, whose `kid`
 * workflow's JWKS publishes. The claims are checked against the shared `CaseGrantClaims` before
 * anything is signed, so workflow never hands out a grant records would refuse for its form.
 * `clock` is the key store's clock (buildWorkflow gives both the same one).
 */
export async function issueCaseGrant({
  keys,
  clock,
  issuer = DEFAULT_CASE_GRANT_ISSUER,
  input,
}: {
  readonly keys: SigningKeyStore;
  readonly clock: () => Date;
  /** Records' `CASE_GRANT_ISSUER`. */
  readonly issuer?: string;
  readonly input: IssueCaseGrantInput;
}): Promise<IssuedCaseGrant> {
  const requested = input.lifetimeSeconds ?? DEFAULT_CASE_GRANT_LIFETIME_SECONDS;
  if (!Number.isInteger(requested) || requested <= 0) {
    throw new RangeError('lifetimeSeconds must be a positive integer');
  }
  const lifetime = Math.min(requested, MAX_CASE_GRANT_LIFETIME_SECONDS);
  const iat = Math.floor(clock().getTime() / 1000);
  const claims: CaseGrantClaims = {
    iss: issuer,
    aud: CASE_GRANT_AUDIENCE,
    sub: input.subjectId,
    case: input.caseId,
    dept: input.department,
    types: [...input.types],
    iat,
    exp: iat + lifetime,
    jti: `grant-${crypto.randomUUID()}`,
  };
  const problem = caseGrantClaimsProblem(claims);
  if (problem !== undefined) throw new RangeError(`not a case grant: ${problem}`);
  const { iat: _iat, exp: _exp, ...payload } = claims;
  // The store sets iat and exp from its clock, the same one read above.
  const token = await keys.sign({ typ: CASE_GRANT_TYP, payload, expiresInSeconds: lifetime });
  return { token, claims };
}
