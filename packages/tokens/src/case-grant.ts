import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, SIGNING_ALGORITHM } from './jws.js';

/**
 * A case grant (ADR 0013): a short-lived compact JWS that workflow signs with its own Ed25519 key
 * (`kid` from workflow's JWKS) and records checks before a `purpose=case:<caseId>` read. The one
 * definition of the format: workflow issues against it, records verifies against it.
 */
export const CASE_GRANT_TYP = 'tb-case-grant+jwt';
export const CASE_GRANT_ALG = SIGNING_ALGORITHM;
/** Records' name as a grant's audience. */
export const CASE_GRANT_AUDIENCE = 'tb-records';
/** Workflow's `iss` unless configured otherwise (records: `CASE_GRANT_ISSUER`). */
export const DEFAULT_CASE_GRANT_ISSUER = 'tb-workflow';
/** A grant lives at most this long from `iat` to `exp`. */
export const MAX_CASE_GRANT_LIFETIME_SECONDS = 15 * 60;
/** Clock skew a verifier allows on `exp` and `iat`. */
export const CASE_GRANT_CLOCK_TOLERANCE_SECONDS = DEFAULT_CLOCK_TOLERANCE_SECONDS;
/** A case id, as in `purpose=case:<caseId>`. */
export const CASE_GRANT_CASE_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

const DepartmentCode = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });
const NumericDate = Type.Integer({ minimum: 0, maximum: 253_402_300_799 });

/** The claims ADR 0013 gives a case grant; unknown claims are tolerated (RFC 7519 §4). */
export const CaseGrantClaims = Type.Object({
  iss: Type.String({ minLength: 1, maxLength: 2048 }),
  aud: Type.Union([
    Type.String({ minLength: 1, maxLength: 2048 }),
    Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { minItems: 1, maxItems: 16 }),
  ]),
  /** The subject id whose records the case may read. */
  sub: Type.String({ minLength: 1, maxLength: 255 }),
  case: Type.String({ pattern: CASE_GRANT_CASE_ID_PATTERN }),
  /** The department the grant is for. */
  dept: DepartmentCode,
  /** The record types the case needs from this department's reads. */
  types: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' }), {
    minItems: 1,
    maxItems: 64,
    uniqueItems: true,
  }),
  iat: NumericDate,
  exp: NumericDate,
  jti: Type.String({ minLength: 16, maxLength: 128 }),
});
export type CaseGrantClaims = Static<typeof CaseGrantClaims>;

const claimsValidator = Compile(CaseGrantClaims);

/**
 * Why these claims are not a case grant, or undefined when they are one: the schema, and a
 * lifetime of more than nothing and at most `MAX_CASE_GRANT_LIFETIME_SECONDS`. Checks the claims
 * alone, not the audience, issuer or the time now.
 */
export function caseGrantClaimsProblem(value: unknown): string | undefined {
  if (!claimsValidator.Check(value)) {
    const [first] = claimsValidator.Errors(value);
    return first === undefined
      ? 'claims are not a case grant'
      : `claim ${first.instancePath || '/'} ${first.message}`;
  }
  if (value.exp <= value.iat) return 'exp is not after iat';
  if (value.exp - value.iat > MAX_CASE_GRANT_LIFETIME_SECONDS) {
    return `lifetime exceeds ${MAX_CASE_GRANT_LIFETIME_SECONDS} s`;
  }
  return undefined;
}

/** True when the value matches `CaseGrantClaims` (schema only). */
export function isCaseGrantClaims(value: unknown): value is CaseGrantClaims {
  return claimsValidator.Check(value);
}
