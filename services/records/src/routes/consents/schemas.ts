import { DepartmentCode } from '@tongban/auth';
import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';

const RecordTypeCode = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,63}$',
  description: 'A record type code (`GET /v1/record-types`).',
});

export const Consent = Type.Object({
  id: Type.String({ format: 'uuid' }),
  department: Type.String({ description: 'The department that may read.' }),
  recordType: Type.String(),
  purpose: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')], {
    description:
      '`revoked` once the resident withdrew it (final), else `active` until `expiresAt`, then `expired`.',
  }),
  expiresAt: Type.String({ format: 'date-time' }),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ConsentList = listOf(Consent);

export const NewConsent = Type.Object(
  {
    department: {
      ...DepartmentCode,
      description: 'The department that may read, e.g. `civil_affairs`.',
    },
    recordType: {
      ...RecordTypeCode,
      description: 'The type of record it may read; must exist (else 400 `validation_failed`).',
    },
    purpose: Type.String({
      pattern: '^[a-z][a-z0-9_]{1,63}$',
      description:
        'The policy purpose it may read for, e.g. `housing_subsidy`. Not `case` (case-bound reads, `case:<id>`, are authorised by the case grant) nor `self`.',
    }),
    expiresAt: Type.String({
      format: 'date-time',
      description: 'When the consent ends: in the future, at most one year ahead.',
    }),
  },
  { additionalProperties: false },
);

export const ConsentParams = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);
