import { ListQuery, listOf, SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';
import { READ_PURPOSE_PATTERN } from '../../domain/access/purpose.js';
import { MAX_CASE_GRANT_LENGTH } from '../../domain/case-grants/verify-case-grant.js';
import { boundProofHeaders } from '../dpop-header.js';

const Purpose = Type.String({
  pattern: READ_PURPOSE_PATTERN,
  maxLength: 69,
  description:
    'Why you read: a policy purpose (e.g. `social_security_enrolment`), `case:<caseId>` for a workflow case (send its `Case-Grant`), or `self` for a resident reading their own records.',
});

/** Loosely typed on purpose: a malformed grant is a 403 `case_grant_invalid`, not a 400. */
export const CaseGrantHeaders = Type.Object({
  // Residents read their own records with their DPoP-bound token: the proof header is documented.
  ...boundProofHeaders.properties,
  'case-grant': Type.Optional(
    SafeText({
      // Empty counts as absent (case_grant_required); anything else reaches the verifier.
      minLength: 0,
      maxLength: MAX_CASE_GRANT_LENGTH,
      description:
        'For `purpose=case:<caseId>`: the case grant (compact JWS, `typ: tb-case-grant+jwt`) the workflow service issued for this case, subject, department and record type.',
    }),
  ),
});

const RecordId = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
export const RecordIdParams = RecordId;

export const ReadRecordQuery = Type.Object(
  {
    purpose: Purpose,
    version: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2_147_483_647,
        description: 'An older version of the record; the current one when absent.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RecordHistoryQuery = Type.Object(
  { ...ListQuery.properties, purpose: Purpose },
  { additionalProperties: false },
);

export const ListRecordsQuery = Type.Object(
  {
    ...ListQuery.properties,
    subjectId: Type.String({
      pattern: '^[A-Za-z0-9_-]{1,255}$',
      description: "The resident's pseudonymous subject id.",
    }),
    type: Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$', description: 'Record type code.' }),
    purpose: Purpose,
    includeRevoked: Type.Optional(
      Type.Boolean({
        description:
          'Also list the revoked records (`status: revoked`, at their last version), e.g. for the issuing department to see everything it issued. Default: active records only.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReleasedRecord = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ description: 'Record type code.' }),
    subjectId: Type.String(),
    issuerDepartment: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
    version: Type.Integer({ minimum: 1 }),
    digest: Type.String({
      description:
        "SHA-256 (base64url) of the RFC 8785 canonical JSON of this version's complete data, as the issuer published it.",
    }),
    publishedAt: Type.String({ format: 'date-time' }),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Only the fields released to you for this purpose.',
    }),
    releasedFields: Type.Array(Type.String(), {
      description: 'The names of the fields in `data`; the access log records the same list.',
    }),
  },
  { additionalProperties: false },
);

export const ReleasedRecordList = listOf(ReleasedRecord);

export const RecordCertificate = Type.Object({
  certificate: Type.String({
    description:
      'Compact JWS, `typ: tb-record+jwt`: the released fields, record version and digest, issuing and recipient department, purpose, case, `exp`.',
  }),
  recordId: Type.String({ format: 'uuid' }),
  version: Type.Integer({ minimum: 1 }),
  issuedAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.String({ format: 'date-time' }),
});
