import type { AccessLogEntry as PublishedEntry } from '@tongban/access-log';
import { ListQuery } from '@tongban/service-kit';
import { type Static, Type } from 'typebox';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

/**
 * A string the API documents as one of `values`, serialized as whatever the row holds. A list of
 * the log must show an entry an administrator altered — its proof then fails where the resident
 * checks it — rather than refuse to serialize it and hide the evidence behind a 500.
 */
const OneOf = <const T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

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
    readerKind: OneOf(['staff', 'client', 'resident'] as const),
    reader: Type.String({ description: 'The staff member, department system or resident' }),
    readerDepartment: Nullable(Type.String()),
    purpose: Type.String({ description: 'A policy purpose, case:<caseId>, or self' }),
    caseId: Nullable(Type.String()),
    recordId: Nullable(Type.String({ format: 'uuid' })),
    recordType: Nullable(Type.String()),
    // No `minimum`: a nullable member is serialized by first validating it, and an altered row
    // must still be listed (see OneOf). `recordId` keeps its format: its column holds only uuids.
    recordVersion: Nullable(Type.Integer({ description: 'The version read, from 1' })),
    fields: Type.Array(Type.String(), { description: 'The fields released; empty for a refusal' }),
    outcome: OneOf(['released', 'denied'] as const),
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
