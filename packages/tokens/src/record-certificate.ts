import type { JSONWebKeySet } from 'jose';
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { TokenError } from './errors.js';
import {
  checkHeader,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  type KeyResolver,
  parseCompact,
  resolveOrThrow,
  SIGNING_ALGORITHM,
  verifySignature,
} from './jws.js';
import { bundleKeyResolver } from './offline.js';

/**
 * A certified copy of a record as released to a department: records signs it with its own
 * Ed25519 key (`GET /v1/records/{id}/certificate`), and anyone holding records' JWKS checks it
 * with no network. Claims are snake_case, like every claim the platform signs (`client_id` in
 * access tokens, `status_list` in status lists); the JSON API around them is camelCase.
 */
export const RECORD_CERTIFICATE_TYP = 'tb-record+jwt';
/** `iss` of every certificate records signs. */
export const RECORD_CERTIFICATE_ISSUER = 'tb-records';
/**
 * A certificate lives at most a day: records keeps a retired key in its JWKS for a day (and the
 * 30 s skew), so a longer-lived certificate could outlive the key that verifies it.
 */
export const MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS = 86_400;
/** Certificates carry the released field values; anything past this is not one records made. */
export const MAX_RECORD_CERTIFICATE_LENGTH = 512 * 1024;

const Code = (what: string) =>
  Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$', description: what });
const DepartmentCode = Type.String({ pattern: '^[a-z][a-z0-9_]{1,39}$' });
const NumericDate = Type.Integer({ minimum: 0, maximum: 253_402_300_799 });
const CaseId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const RecordCertificateClaims = Type.Object(
  {
    /** Records' issuer id (`tb-records`). */
    iss: Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7E]+$' }),
    /** The record's subject: identity's pseudonymous subject id, never an ID-card number. */
    sub: Type.String({ minLength: 1, maxLength: 255 }),
    jti: Type.String({ minLength: 16, maxLength: 128 }),
    iat: NumericDate,
    exp: NumericDate,
    record: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        type: Code('The record type code.'),
        version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
        /** SHA-256 over the RFC 8785 canonical JSON of the whole version's data, base64url. */
        digest: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
      },
      { additionalProperties: false },
    ),
    /** The field values released to the recipient: all of them, or the policy's subset. */
    fields: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Unknown()),
    issuer_department: DepartmentCode,
    recipient_department: DepartmentCode,
    /** A policy purpose, `self`, or `case:<caseId>` (then `case` names the same case). */
    purpose: Type.String({ pattern: '^(?:[a-z][a-z0-9_]{1,63}|case:[A-Za-z0-9_-]{1,64})$' }),
    case: Type.Optional(CaseId),
  },
  { additionalProperties: false },
);
export type RecordCertificateClaims = Static<typeof RecordCertificateClaims>;

/** What the issuer chooses; `iat` and `exp` are set by signing. */
export const RecordCertificateContent = Type.Omit(RecordCertificateClaims, ['iat', 'exp']);
export type RecordCertificateContent = Static<typeof RecordCertificateContent>;

const claimsValidator = Compile(RecordCertificateClaims);
const contentValidator = Compile(RecordCertificateContent);

/**
 * Why these claims are not a record certificate, or undefined when they are one. `content` checks
 * what an issuer is about to sign (no `iat`/`exp` yet); both check that a case-bound purpose and
 * the `case` claim name the same case.
 */
export function recordCertificateProblem(
  value: unknown,
  what: 'claims' | 'content' = 'claims',
): string | undefined {
  const validator = what === 'claims' ? claimsValidator : contentValidator;
  if (!validator.Check(value)) {
    const [first] = validator.Errors(value);
    return first === undefined
      ? 'claims are not a record certificate'
      : `claim ${first.instancePath || '/'} ${first.message}`;
  }
  const { purpose, case: caseId } = value as RecordCertificateContent;
  const purposeCase = purpose.startsWith('case:') ? purpose.slice('case:'.length) : undefined;
  if (purposeCase !== caseId) return 'purpose and case name different cases';
  return undefined;
}

export type VerifyRecordCertificateOptions = {
  readonly now: Date;
  /** The expected `iss`; records' own by default. */
  readonly issuer?: string;
  readonly clockToleranceSeconds?: number;
} & (
  | { readonly resolver: KeyResolver; readonly jwks?: undefined }
  /** records' `/.well-known/jwks.json`, as fetched or saved earlier. */
  | { readonly jwks: JSONWebKeySet; readonly resolver?: undefined }
);

export interface VerifiedRecordCertificate {
  readonly header: {
    readonly alg: 'EdDSA';
    readonly typ: typeof RECORD_CERTIFICATE_TYP;
    readonly kid: string;
  };
  readonly claims: RecordCertificateClaims;
}

/**
 * Verifies a record certificate offline. Throws only `TokenError`: `malformed_token` (not a
 * certificate's shape, or a lifetime over a day), `signature_invalid` (alg other than EdDSA,
 * `alg: none`, another `typ`, an embedded key — `jwk`, `jku`, `x5u`, `x5c` — another issuer, or
 * bytes that were changed after signing), `unknown_key`, `certificate_expired` and
 * `certificate_not_yet_valid` (30 s of clock skew either way). The signature is checked before the
 * clock, so an altered certificate is reported as altered even when it has also expired.
 */
export async function verifyRecordCertificate(
  jws: string,
  options: VerifyRecordCertificateOptions,
): Promise<VerifiedRecordCertificate> {
  const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  const { header, payload } = parseCompact(jws, MAX_RECORD_CERTIFICATE_LENGTH);
  const { kid } = checkHeader(header, RECORD_CERTIFICATE_TYP);
  if (payload.exp === undefined) throw new TokenError('malformed_token', 'claim "exp" is missing');
  const problem = recordCertificateProblem(payload);
  if (problem !== undefined) throw new TokenError('malformed_token', problem);
  const claims = payload as RecordCertificateClaims;
  if (
    claims.exp <= claims.iat ||
    claims.exp - claims.iat > MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS
  ) {
    throw new TokenError(
      'malformed_token',
      `lifetime must be 1 to ${MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS} seconds`,
    );
  }
  if (claims.iss !== (options.issuer ?? RECORD_CERTIFICATE_ISSUER)) {
    throw new TokenError('signature_invalid', 'certificate was not issued by the expected issuer');
  }

  const resolver = options.resolver ?? bundleKeyResolver(options.jwks);
  await verifySignature(jws, await resolveOrThrow(resolver, kid));

  // Compared in milliseconds so the window is exactly [iat − tolerance, exp + tolerance].
  const now = options.now.getTime();
  if (now > (claims.exp + tolerance) * 1000) {
    throw new TokenError(
      'certificate_expired',
      `certificate expired at ${new Date(claims.exp * 1000).toISOString()}`,
    );
  }
  if (now < (claims.iat - tolerance) * 1000) {
    throw new TokenError(
      'certificate_not_yet_valid',
      `certificate is dated ${new Date(claims.iat * 1000).toISOString()}, in the future`,
    );
  }
  return { header: { alg: SIGNING_ALGORITHM, typ: RECORD_CERTIFICATE_TYP, kid }, claims };
}
