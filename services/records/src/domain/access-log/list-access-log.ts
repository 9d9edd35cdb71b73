import type { Actor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import {
  encodeProof,
  inclusionProofRefs,
  type SubtreeRef,
  storedInclusionProof,
} from '@tongban/merkle-log';
import { decodeCursor, encodeCursor, errors, type RequestContext } from '@tongban/service-kit';
import {
  type AccessLogRow,
  type CheckpointRow,
  type EntryScope,
  latestCheckpoint,
  listEntries,
  storedSubtrees,
} from '../../db/queries/access-log.js';
import { type ApiAccessLogItem, toAccessLogEntry } from './entry.js';
import { preloadedSource } from './nodes.js';

export interface ListAccessLogInput {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface AccessLogPage {
  readonly items: ApiAccessLogItem[];
  readonly nextCursor: string | null;
  readonly checkpoint: string | null;
}

/**
 * A department auditor's view: the entries of reads made by their own department, newest first,
 * each with its inclusion proof against the latest signed head.
 */
export function listDepartmentAccessLog({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListAccessLogInput;
}): Promise<AccessLogPage> {
  const { actor } = ctx;
  if (actor.kind !== 'staff') throw errors.forbidden();
  return listAccessLog(ctx.db, { department: actor.department }, input);
}

/** A resident's view: every read of their own data (and every refusal), newest first. */
export function listMyAccessLog({
  ctx,
  input,
}: {
  ctx: RequestContext<Actor>;
  input: ListAccessLogInput;
}): Promise<AccessLogPage> {
  const { actor } = ctx;
  if (actor.kind !== 'resident') throw errors.forbidden();
  return listAccessLog(ctx.db, { subjectId: actor.subject }, input);
}

function timeFilter(input: ListAccessLogInput): { from?: Date; to?: Date } {
  const from = input.from === undefined ? undefined : new Date(input.from);
  const to = input.to === undefined ? undefined : new Date(input.to);
  if (from && to && from.getTime() >= to.getTime()) {
    throw errors.validationFailed('`from` must be before `to`.', {
      errors: [{ field: 'querystring.from', message: 'is not before to' }],
    });
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

function afterCursor(cursor: string | undefined) {
  const key = decodeCursor(cursor, 2);
  if (key === undefined) return undefined;
  const [at, id] = key;
  const occurredAt = typeof at === 'string' ? new Date(at) : new Date(Number.NaN);
  if (Number.isNaN(occurredAt.getTime()) || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) {
    throw errors.validationFailed('The cursor is not one this service issued.', {
      errors: [{ field: 'querystring.cursor', message: 'is invalid' }],
    });
  }
  return { occurredAt, id };
}

async function listAccessLog(
  db: Db,
  scope: EntryScope,
  input: ListAccessLogInput,
): Promise<AccessLogPage> {
  const filter = timeFilter(input);
  const before = afterCursor(input.cursor);
  // The head first: an entry sequenced after it is simply listed as pending.
  const head = await latestCheckpoint(db);
  const rows = await listEntries(db, { scope, ...filter, before, limit: input.limit + 1 });
  const visible = rows.slice(0, input.limit);
  const last = visible.at(-1);
  return {
    items: await withProofs(db, visible, head),
    nextCursor:
      rows.length > input.limit && last !== undefined
        ? encodeCursor([last.occurredAt.toISOString(), last.id])
        : null,
    checkpoint: head?.jws ?? null,
  };
}

/** Every listed entry's proof from one read of the stored subtrees they need. */
async function withProofs(
  db: Db,
  rows: readonly AccessLogRow[],
  head: CheckpointRow | undefined,
): Promise<ApiAccessLogItem[]> {
  const size = head?.treeSize ?? 0;
  const covered = (row: AccessLogRow): row is AccessLogRow & { leafIndex: number } =>
    row.leafIndex !== null && row.leafIndex < size;
  const refs = new Map<string, SubtreeRef>();
  for (const row of rows.filter(covered)) {
    for (const ref of inclusionProofRefs(row.leafIndex, size)) {
      refs.set(`${ref.level}:${ref.index}`, ref);
    }
  }
  const source = preloadedSource(await storedSubtrees(db, [...refs.values()]));
  return Promise.all(
    rows.map(async (row): Promise<ApiAccessLogItem> => {
      const entry = toAccessLogEntry(row);
      if (!covered(row)) {
        return { entry, leafIndex: row.leafIndex, inclusionProof: null, treeSize: null };
      }
      const proof = await storedInclusionProof(source, row.leafIndex, size).catch(() => null);
      if (proof === null) {
        // A subtree the head covers is gone from storage (only an administrator can do that):
        // the entry is still listed, without a proof, which the resident's check reports as a
        // proof withheld inside a signed tree — rather than the whole list failing.
        return { entry, leafIndex: row.leafIndex, inclusionProof: null, treeSize: null };
      }
      return {
        entry,
        leafIndex: row.leafIndex,
        inclusionProof: encodeProof(proof, 'base64url'),
        treeSize: size,
      };
    }),
  );
}
