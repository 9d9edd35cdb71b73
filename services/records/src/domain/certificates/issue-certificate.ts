import type { SigningKeyStore } from '@tongban/keys';
import { uuidV7 } from '@tongban/service-kit';
import {
  MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS,
  RECORD_CERTIFICATE_ISSUER,
  RECORD_CERTIFICATE_TYP,
  type RecordCertificateContent,
  recordCertificateProblem,
} from '@tongban/tokens';
import { decodeJwt } from 'jose';

/** A certificate lives a day by default, and never longer (see app.ts: the key overlap). */
export const DEFAULT_CERTIFICATE_LIFETIME_SECONDS = MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS;

/** What a released read certifies: the record version, the fields released, to whom and why. */
export interface RecordCertificateInput {
  /** The record's subject (identity's pseudonymous subject id). */
  readonly subjectId: string;
  readonly record: {
    readonly id: string;
    readonly type: string;
    readonly version: number;
    /** The version's digest as stored (SHA-256 of its RFC 8785 canonical JSON, base64url). */
    readonly digest: string;
  };
  /** Exactly the field values released by the read (all of them, or the policy's subset). */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly issuerDepartment: string;
  readonly recipientDepartment: string;
  /** The purpose the read stated: a policy purpose, `self` or `case:<caseId>`. */
  readonly purpose: string;
  /** The case of a case-bound read; must be the one `purpose` names. */
  readonly caseId?: string | undefined;
  /** Seconds until it expires: 24 h by default, and capped at 24 h. */
  readonly lifetimeSeconds?: number;
}

export interface IssuedRecordCertificate {
  /** The compact JWS (`typ: tb-record+jwt`, EdDSA, records' key by `kid`). */
  readonly token: string;
  readonly jti: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/**
 * Signs a certified copy of a released read with records' own key. The claims are checked
 * against the same schema the offline verifier applies, so records never signs a certificate
 * that verifiers would refuse. The lifetime is capped at a day: records keeps a retired key in
 * its JWKS for a day (app.ts), so nothing it signs may outlive that.
 */
export async function issueRecordCertificate({
  keys,
  clock,
  input,
}: {
  keys: Pick<SigningKeyStore, 'sign'>;
  clock: () => Date;
  input: RecordCertificateInput;
}): Promise<IssuedRecordCertificate> {
  const requested = input.lifetimeSeconds ?? DEFAULT_CERTIFICATE_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(requested) || requested <= 0) {
    throw new RangeError('lifetimeSeconds must be a positive integer');
  }
  const lifetime = Math.min(requested, MAX_RECORD_CERTIFICATE_LIFETIME_SECONDS);
  const jti = uuidV7(clock());
  const content: RecordCertificateContent = {
    iss: RECORD_CERTIFICATE_ISSUER,
    sub: input.subjectId,
    jti,
    record: {
      id: input.record.id,
      type: input.record.type,
      version: input.record.version,
      digest: input.record.digest,
    },
    fields: { ...input.fields },
    issuer_department: input.issuerDepartment,
    recipient_department: input.recipientDepartment,
    purpose: input.purpose,
    ...(input.caseId === undefined ? {} : { case: input.caseId }),
  };
  const problem = recordCertificateProblem(content, 'content');
  if (problem !== undefined) throw new TypeError(`not a certifiable read: ${problem}`);
  const token = await keys.sign({
    typ: RECORD_CERTIFICATE_TYP,
    payload: content,
    expiresInSeconds: lifetime,
  });
  // The store dates the token by its own clock (the service's); report what it signed.
  const { iat, exp } = decodeJwt(token);
  return {
    token,
    jti,
    issuedAt: new Date((iat ?? 0) * 1000),
    expiresAt: new Date((exp ?? 0) * 1000),
  };
}
