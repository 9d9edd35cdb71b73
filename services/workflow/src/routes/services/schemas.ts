import { listOf } from '@tongban/service-kit';
import { Type } from 'typebox';

export const ServiceSummary = Type.Object({
  code: Type.String({ description: 'Stable service code, e.g. newborn_registration' }),
  version: Type.Integer({ minimum: 1 }),
  name: Type.Object({ zh: Type.String(), en: Type.String() }),
  publishedAt: Type.String({ format: 'date-time' }),
});

export const ServiceList = listOf(ServiceSummary);
