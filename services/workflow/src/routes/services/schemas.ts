import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';
import { CODE_PATTERN, STEP_KINDS } from '../../domain/services/definition.js';

const Names = Type.Object({ zh: Type.String(), en: Type.String() });

export const ServiceStep = Type.Object({
  id: Type.String(),
  name: Names,
  department: Type.String({ description: 'Code of the department that does the step' }),
  kind: Type.String({ enum: [...STEP_KINDS], description: STEP_KINDS.join(', ') }),
  dependsOn: Type.Array(Type.String(), {
    description: 'Steps done before this one starts: none for a start step; several for a join',
  }),
  slaWorkingDays: Type.Integer({ minimum: 1, maximum: 60 }),
});

export const Service = Type.Object({
  code: Type.String({ description: 'Stable service code, e.g. newborn_registration' }),
  version: Type.Integer({ minimum: 1 }),
  name: Names,
  description: Type.Optional(Names),
  form: Type.Record(Type.String(), Type.Unknown(), {
    description: "JSON Schema of the applicant's form",
  }),
  recordTypes: Type.Array(
    Type.Object({
      code: Type.String({ description: 'Record type the case pulls' }),
      step: Type.String({ description: 'The step whose department reads it' }),
    }),
  ),
  steps: Type.Array(ServiceStep),
  publishedAt: Type.String({ format: 'date-time' }),
});

export const ServiceList = listOf(Service);

export const ServiceParams = Type.Object({
  code: Type.String({ pattern: CODE_PATTERN }),
});

export const ServiceQuery = Type.Object(
  {
    version: Type.Optional(
      Type.Integer({ minimum: 1, description: 'An older version; the newest by default' }),
    ),
  },
  { additionalProperties: false },
);
