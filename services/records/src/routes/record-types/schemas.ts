import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';

/** `basic` | `personal` | `sensitive` (CLASSIFICATIONS in domain/record-types/to-record-type.ts). */
export const Classification = Type.Union([
  Type.Literal('basic'),
  Type.Literal('personal'),
  Type.Literal('sensitive'),
]);

export const ClassificationMap = Type.Record(Type.String(), Classification, {
  description:
    'Each top-level field of fieldSchema, exactly once: basic, personal or sensitive (what a policy may release, and how carefully)',
});

export const RecordType = Type.Object({
  code: Type.String({ description: 'Stable record type code, e.g. birth_record' }),
  issuerDepartment: Type.String(),
  name: Type.Object({ zh: Type.String(), en: Type.String() }),
  version: Type.Integer({ minimum: 1 }),
  fieldSchema: Type.Record(Type.String(), Type.Unknown(), {
    description: 'JSON Schema of the record fields',
  }),
  classification: ClassificationMap,
  createdAt: Type.String({ format: 'date-time' }),
});

export const RecordTypeList = listOf(RecordType);
