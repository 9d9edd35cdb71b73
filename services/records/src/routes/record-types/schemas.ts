import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';

export const RecordType = Type.Object({
  code: Type.String({ description: 'Stable record type code, e.g. birth_record' }),
  issuerDepartment: Type.String(),
  name: Type.Object({ zh: Type.String(), en: Type.String() }),
  version: Type.Integer({ minimum: 1 }),
  fieldSchema: Type.Record(Type.String(), Type.Unknown(), {
    description: 'JSON Schema of the record fields',
  }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const RecordTypeList = listOf(RecordType);
