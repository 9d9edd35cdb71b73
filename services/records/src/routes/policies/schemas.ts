import { DepartmentCode } from '@tongban/auth';
import { ListQuery, listOf, SafeText } from '@tongban/service-kit';
import { Type } from 'typebox';
import { POLICY_PURPOSE_PATTERN } from '../../domain/access/purpose.js';

const RecordTypeCode = Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' });

export const NewPolicy = Type.Object(
  {
    readerDepartment: DepartmentCode,
    recordType: RecordTypeCode,
    purpose: Type.String({
      pattern: POLICY_PURPOSE_PATTERN,
      description:
        'What the reader may read for, e.g. `social_security_enrolment`; `case` covers every `case:<caseId>` read, each of which also needs a case grant. `self` is reserved.',
    }),
    fields: Type.Array(SafeText({ maxLength: 200 }), {
      minItems: 1,
      maxItems: 200,
      uniqueItems: true,
      description: "Top-level fields of the record type's field schema the reader receives.",
    }),
    consentRequired: Type.Boolean({
      description: "Whether each read also needs the resident's unexpired, unrevoked consent.",
    }),
  },
  { additionalProperties: false },
);

export const Policy = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    readerDepartment: Type.String(),
    recordType: Type.String(),
    purpose: Type.String(),
    fields: Type.Array(Type.String()),
    consentRequired: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    withdrawnAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Set once the policy is withdrawn; reads relying on it stop at once.',
    }),
  },
  { additionalProperties: false },
);

export const PolicyList = listOf(Policy);

export const ListPoliciesQuery = Type.Object(
  {
    ...ListQuery.properties,
    recordType: Type.Optional(RecordTypeCode),
    readerDepartment: Type.Optional(DepartmentCode),
    status: Type.Optional(
      Type.Union([Type.Literal('active'), Type.Literal('withdrawn')], {
        description: 'Only active or only withdrawn policies; both when absent.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PolicyIdParams = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
