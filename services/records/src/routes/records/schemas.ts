import { Type } from 'typebox';

/** Identity's pseudonymous subject id: 96 random bits, base64url. Never an ID-card number. */
export const SubjectId = Type.String({
  pattern: '^[A-Za-z0-9_-]{16}$',
  description: "The resident's pseudonymous subject id, as identity issued it",
});

export const RecordTypeCode = Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$' });

export const RecordId = Type.String({ format: 'uuid' });

export const RecordParams = Type.Object({ id: RecordId });

/** A record's fields, validated against its type's field schema (free JSON otherwise). */
export const RecordData = Type.Record(Type.String(), Type.Unknown(), {
  description:
    "The record's fields: validated against the type's fieldSchema; every string is safe text (no control or bidi characters, at most 10,000 characters).",
});

/** A certified record at its current version. */
export const CertifiedRecord = Type.Object({
  id: RecordId,
  type: Type.String({ description: 'Record type code' }),
  subjectId: Type.String(),
  issuerDepartment: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  version: Type.Integer({ minimum: 1, description: 'The data version this record is at' }),
  digest: Type.String({
    description:
      'base64url(SHA-256(RFC 8785 canonical JSON of data)): recompute it from the fields to check them',
  }),
  data: Type.Record(Type.String(), Type.Unknown()),
  publishedAt: Type.String({ format: 'date-time', description: 'When this version was published' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  revokeReason: Type.Optional(Type.String()),
});
