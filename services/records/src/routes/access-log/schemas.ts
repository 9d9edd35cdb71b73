import type { AccessLogEntry as PublishedEntry } from '@tongban/access-log';
import { ListQuery } from '@tongban/service-kit';
import { type Static, Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const Base64UrlHash = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  description: 'A SHA-256 hash, unpadded base64url',
});
const TreeSize = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/**
 * One access-log entry. Its leaf in the Merkle tree is the RFC 8785 canonical JSON of exactly
 * this object (ADR 0013), so every member is always present — null when it does not apply — and
 * the shape is frozen: a member added here would change every leaf.
 */
export const AccessLogEntry = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    occurredAt: Type.String({
      format: 'date-time',
      description: 'UTC with milliseconds, e.g. 2026-03-02T09:30:00.123Z',
    }),
    subjectId: Nullable(
      Type.String({ description: 'Whose data; null when a refused read named no record' }),
    ),
    readerKind: Type.Union([
      Type.Literal('staff'),
      Type.Literal('client'),
      Type.Literal('resident'),
    ]),
    reader: Type.String({ description: 'The staff member, department system or resident' }),
    readerDepartment: Nullable(Type.String()),
    purpose: Type.String({ description: 'A policy purpose, case:<caseId>, or self' }),
    caseId: Nullable(Type.String()),
    recordId: Nullable(Type.String({ format: 'uuid' })),
    recordType: Nullable(Type.String()),
    recordVersion: Nullable(Type.Integer({ minimum: 1 })),
    fields: Type.Array(Type.String(), { description: 'The fields released; empty for a refusal' }),
    outcome: Type.Union([Type.Literal('released'), Type.Literal('denied')]),
    denialCode: Nullable(Type.String({ description: 'The error code of a refused read' })),
  },
  { additionalProperties: false },
);

// The schema above and the verification package's type describe one object: a member added to
// either without the other fails to compile.
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const entryShapesAgree: Equal<keyof Static<typeof AccessLogEntry>, keyof PublishedEntry> &
  (Static<typeof AccessLogEntry> extends PublishedEntry ? true : false) = true;
void entryShapesAgree;

export const AccessLogItem = Type.Object({
  entry: AccessLogEntry,
  leafIndex: Nullable(
    Type.Integer({ minimum: 0, description: 'Position in the tree; null until sequenced' }),
  ),
  inclusionProof: Nullable(
    Type.Array(Base64UrlHash, {
      description:
        'RFC 9162 inclusion proof against `checkpoint`, from the leaf’s sibling up; null while pending',
    }),
  ),
  treeSize: Nullable(TreeSize),
});

export const AccessLogPage = Type.Object({
  items: Type.Array(AccessLogItem),
  nextCursor: Nullable(Type.String()),
  checkpoint: Nullable(
    Type.String({
      description:
        'The latest signed tree head (compact JWS, typ tb-log-head+jwt) the proofs are for; null before the first',
    }),
  ),
});

export const AccessLogQuery = Type.Object(
  {
    ...ListQuery.properties,
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Entries at or after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Entries before' })),
  },
  { additionalProperties: false },
);

export const Checkpoint = Type.Object({
  treeSize: TreeSize,
  rootHash: Base64UrlHash,
  jws: Type.String({ description: 'The signed tree head (typ tb-log-head+jwt)' }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const TreeSizeParams = Type.Object({ treeSize: TreeSize });

export const ConsistencyQuery = Type.Object(
  { from: TreeSize, to: TreeSize },
  { additionalProperties: false },
);

export const ConsistencyProof = Type.Object({
  from: TreeSize,
  to: TreeSize,
  proof: Type.Array(Base64UrlHash, {
    description: 'RFC 9162 consistency proof between the checkpoints of the two sizes',
  }),
});

export const KeyHistory = Type.Object({
  keys: Type.Array(
    Type.Object({
      kid: Type.String(),
      jwk: Type.Record(Type.String(), Type.Unknown(), { description: 'Ed25519 public key' }),
      signingFrom: Type.String({ format: 'date-time' }),
      signingUntil: Nullable(
        Type.String({ format: 'date-time', description: 'null while the key signs' }),
      ),
      withdrawnAt: Nullable(
        Type.String({
          format: 'date-time',
          description: 'Set when the key was revoked: nothing it signed is evidence any more',
        }),
      ),
    }),
  ),
});
