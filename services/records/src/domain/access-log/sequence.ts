import { LOG_HEAD_TYP, leafHashOf } from '@tongban/access-log';
import type { Db } from '@tongban/db';
import type { SigningKeyStore } from '@tongban/keys';
import { appendSubtrees, rootRefs, storedRootHash, toBase64Url } from '@tongban/merkle-log';
import type { JobDefinition } from '@tongban/service-kit';
import {
  assignLeafIndexes,
  insertCheckpoint,
  insertNodes,
  latestCheckpoint,
  treeSize,
  trySequencerLock,
  unsequencedEntries,
} from '../../db/queries/access-log.js';
import { toAccessLogEntry } from './entry.js';
import { nodeSource } from './nodes.js';

export const SEQUENCER_JOB = 'access-log-sequencer';

/**
 * A head's `exp`: a day, the longest records' key store lets anything it signs live, so the JWKS
 * still publishes the key while the head is fresh. Older heads verify with the key history
 * (ADR 0013); the root a head signs never stops being true.
 */
export const HEAD_EXPIRES_IN_SECONDS = 86_400;

export interface SequencerDeps {
  readonly db: Db;
  readonly keys: SigningKeyStore;
  readonly clock: () => Date;
  /** The `iss` of the heads. */
  readonly issuer: string;
  /** Entries one transaction takes. */
  readonly batchSize: number;
  /** Batches one run takes before it signs, so a backlog still yields a head every run. */
  readonly maxBatches?: number;
}

export type SequenceResult =
  /** Another replica holds the sequencer's lock: it is sequencing, this one does nothing. */
  | { readonly skipped: true }
  | {
      readonly skipped: false;
      readonly sequenced: number;
      readonly treeSize: number;
      /** The size of the head this run signed; null when the tree had not grown. */
      readonly signed: number | null;
    };

/**
 * One sequencer run: under a transaction-level advisory lock (one replica at a time, the others
 * skip), give unsequenced entries the next leaf indexes in (occurred_at, id) order, batch by
 * batch, storing each leaf hash and every subtree it completes; then sign a head if the tree
 * grew. An entry that commits late with an earlier occurred_at simply gets the next index when
 * the sequencer first sees it: indexes are consecutive and never reassigned, which is all the
 * tree needs.
 */
export async function sequenceAccessLog(
  deps: SequencerDeps,
  signal?: AbortSignal,
): Promise<SequenceResult> {
  const maxBatches = deps.maxBatches ?? 10;
  let sequenced = 0;
  for (let batch = 0; batch < maxBatches && !signal?.aborted; batch++) {
    const taken = await deps.db.transaction(async (tx) => {
      if (!(await trySequencerLock(tx as unknown as Db))) return undefined;
      return sequenceBatch(tx as unknown as Db, deps.batchSize);
    });
    if (taken === undefined) {
      if (batch === 0) return { skipped: true };
      break;
    }
    sequenced += taken;
    if (taken < deps.batchSize) break;
  }
  // Signing happens after the batches committed, outside their transaction: the key store reads
  // its own table, and a transaction must not wait on a query of the same database (embedded
  // PostgreSQL is one connection). A crash in between leaves a tree without a head for its size,
  // which the next run signs: it compares the tree with the latest head, not with its own work.
  const head = await signHeadIfGrown(deps);
  return { skipped: false, sequenced, ...head };
}

/** Sequences up to `limit` entries in the caller's locked transaction; returns how many. */
async function sequenceBatch(tx: Db, limit: number): Promise<number> {
  const size = await treeSize(tx);
  const rows = await unsequencedEntries(tx, limit);
  if (rows.length === 0) return 0;
  const leaves = await Promise.all(rows.map((row) => leafHashOf(toAccessLogEntry(row))));
  const refs = rootRefs(size);
  const edge = refs.length === 0 ? [] : await nodeSource(tx)(refs);
  const { completed } = await appendSubtrees(size, edge, leaves);
  const assigned = await assignLeafIndexes(
    tx,
    rows.map((row) => row.id),
    size,
  );
  if (assigned !== rows.length) {
    // Only possible if something other than the sequencer set a leaf index under our lock.
    throw new Error(`sequenced ${assigned} of ${rows.length} access-log entries; rolled back`);
  }
  await insertNodes(tx, completed);
  return rows.length;
}

async function signHeadIfGrown(
  deps: SequencerDeps,
): Promise<{ readonly treeSize: number; readonly signed: number | null }> {
  const size = await treeSize(deps.db);
  const latest = await latestCheckpoint(deps.db);
  if (size === 0 || size <= (latest?.treeSize ?? 0)) return { treeSize: size, signed: null };
  // From the stored perfect subtrees (one per set bit of the size), never from the leaves.
  const root = await storedRootHash(nodeSource(deps.db), size);
  const jws = await deps.keys.sign({
    typ: LOG_HEAD_TYP,
    payload: { iss: deps.issuer, tree_size: size, root_hash: toBase64Url(root) },
    expiresInSeconds: HEAD_EXPIRES_IN_SECONDS,
  });
  const inserted = await insertCheckpoint(deps.db, {
    treeSize: size,
    rootHash: root,
    jws,
    createdAt: deps.clock(),
  });
  return { treeSize: size, signed: inserted ? size : null };
}

/** The sequencer as a background job of the service; tests run it with `app.jobs.runNow`. */
export function accessLogSequencerJob(deps: SequencerDeps, intervalMs: number): JobDefinition {
  return {
    name: SEQUENCER_JOB,
    intervalMs,
    jitter: 0.2,
    run: ({ signal }) => sequenceAccessLog(deps, signal),
  };
}
