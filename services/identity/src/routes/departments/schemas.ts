import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';

export const Department = Type.Object({
  code: Type.String({ description: 'Stable department code, e.g. public_security' }),
  name: Type.Object({ zh: Type.String(), en: Type.String() }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const DepartmentList = listOf(Department);
