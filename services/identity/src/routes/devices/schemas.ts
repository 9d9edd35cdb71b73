import { Type } from 'typebox';

export const Device = Type.Object({
  id: Type.String(),
  label: Type.String(),
  keyId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedBy: Type.Union([Type.Literal('resident'), Type.Literal('counter'), Type.Null()], {
    description: 'Who revoked it: the resident from a device, or a clerk at a counter',
  }),
});
