import { type KeyHistory, type LogKeys, leafHashOf, verifyCheckpoint } from '@tongban/access-log';
import type { Db } from '@tongban/db';
import {
  appendSubtrees,
  equalBytes,
  foldSubtrees,
  type SubtreeRef,
  toBase64Url,
} from '@tongban/merkle-log';
import {
  type AccessLogRow,
  type CheckpointRow,
  checkpointsAfter,
  countUnsequenced,
  entriesFromLeaf,
  storedSubtrees,
  treeSize,
} from '../../db/queries/access-log.js';
import { toAccessLogEntry } from './entry.js';

export type AuditFindingKind =
  /** No entry holds this leaf, though the tree has it: an entry was deleted. */
  | 'leaf_missing'
  /** The entry at this leaf does not hash to the stored leaf: it was changed, or moved here. */
  | 'leaf_mismatch'
  /** A subtree the entries complete is not stored, or stored with another hash. */
  | 'node_missing'
  | 'node_mismatch'
  /** The root recomputed from the entries is not the root the checkpoint signed. */
  | 'checkpoint_root_mismatch'
  /** The checkpoint's signature, key, issuer or payload does not verify. */
  | 'checkpoint_signature_invalid'
  /** The row's size or root differs from what its signed head says. */
  | 'checkpoint_row_mismatch'
  /** A checkpoint signs more entries than the log holds. */
  | 'checkpoint_beyond_log';

export interface AuditFinding {
  readonly kind: AuditFindingKind;
  readonly detail: string;
  readonly leafIndex?: number;
  readonly entryId?: string;
  readonly treeSize?: number;
}

export interface AuditReport {
  readonly ok: boolean;
  /** The first inconsistency in leaf order; the audit stops there. */
  readonly finding: AuditFinding | null;
  /** Sequenced entries checked (up to the finding, if any). */
  readonly entries: number;
  readonly checkpoints: number;
  /** Subtree hashes compared with the stored ones. */
  readonly nodes: number;
  /** Entries not sequenced yet: not in the tree, so nothing to check. */
  readonly unsequenced: number;
  readonly latestCheckpoint: number | null;
  /** Heads whose key was later withdrawn: their roots were checked, their signatures prove nothing. */
  readonly signedByWithdrawnKeys: number;
}

export interface AuditOptions {
  readonly db: Db;
  /** Records' key history, from its database or from `GET /v1/access-log/keys`. */
  readonly keys: LogKeys;
  readonly issuer: string;
  /** Entries read per query (default 1000). */
  readonly pageSize?: number;
  /** Told after each page, for a progress line. */
  readonly onProgress?: (entries: number) => void;
}

/** The subtrees leaf `i` completes: itself, and one per trailing 1 bit of i + 1. */
function refsCompletedBy(i: number): SubtreeRef[] {
  const refs: SubtreeRef[] = [{ level: 0, index: i }];
  for (let level = 1, block = 2; (i + 1) % block === 0; level++, block *= 2) {
    refs.push({ level, index: (i + 1) / block - 1 });
  }
  return refs;
}

class Stop extends Error {
  constructor(readonly finding: AuditFinding) {
    super(finding.detail);
  }
}

/**
 * Recomputes the access log from its entries and holds it against everything stored and
 * signed: every entry, in leaf order, hashed exactly as the API shows it; every subtree it
 * completes against `access_log_nodes`; the root at every checkpoint against the signed head;
 * every head's signature against records' key history. Reports the first inconsistency — which
 * leaf or checkpoint, and what — or a summary. Reads the tree once, page by page, in O(n).
 */
export function auditAccessLog(options: AuditOptions): Promise<AuditReport> {
  // One snapshot: on a live database, entries sequenced while the audit reads must not look like
  // leaves without entries. Read only, so the audit can never change what it checks.
  return options.db.transaction((tx) => auditSnapshot(tx as unknown as Db, options), {
    isolationLevel: 'repeatable read',
    accessMode: 'read only',
  });
}

async function auditSnapshot(db: Db, options: AuditOptions): Promise<AuditReport> {
  const { keys, issuer } = options;
  const pageSize = options.pageSize ?? 1000;
  let size = 0;
  let edge: Uint8Array[] = [];
  let nodes = 0;
  let checkpoints = 0;
  let signedByWithdrawnKeys = 0;
  let latest: number | null = null;
  // Checkpoints are read in pages too, smallest first, and checked when the recomputed tree
  // reaches their size.
  let pending: CheckpointRow[] = [];
  let checkpointsFrom = -1;
  let allRead = false;
  const nextCheckpoint = async (): Promise<CheckpointRow | undefined> => {
    if (pending.length === 0 && !allRead) {
      pending = await checkpointsAfter(db, checkpointsFrom, pageSize);
      allRead = pending.length < pageSize;
      const last = pending.at(-1);
      if (last) checkpointsFrom = last.treeSize;
    }
    return pending[0];
  };

  // A withdrawn key's heads prove nothing to a resident, but their signatures and roots are still
  // held against the entries here, with the withdrawal set aside; they are counted apart.
  const withdrawalIgnored: LogKeys =
    'keys' in keys && keys.keys.every((k) => 'jwk' in k)
      ? { keys: (keys as KeyHistory).keys.map((k) => ({ ...k, withdrawnAt: null })) }
      : keys;

  const checkHead = async (row: CheckpointRow) => {
    const root = await foldSubtrees(edge);
    let verdict = await verifyCheckpoint(row.jws, keys, { issuer });
    if (!verdict.ok && verdict.problem === 'key_withdrawn') {
      verdict = await verifyCheckpoint(row.jws, withdrawalIgnored, { issuer });
      if (verdict.ok) signedByWithdrawnKeys += 1;
    }
    if (!verdict.ok) {
      throw new Stop({
        kind: 'checkpoint_signature_invalid',
        treeSize: row.treeSize,
        detail: `the head of size ${row.treeSize} does not verify: ${verdict.problem} (${verdict.detail})`,
      });
    }
    if (
      verdict.checkpoint.treeSize !== row.treeSize ||
      !equalBytes(verdict.checkpoint.rootHash, row.rootHash)
    ) {
      throw new Stop({
        kind: 'checkpoint_row_mismatch',
        treeSize: row.treeSize,
        detail: `the row of size ${row.treeSize} does not hold what its head signs (size ${verdict.checkpoint.treeSize}, root ${toBase64Url(verdict.checkpoint.rootHash)})`,
      });
    }
    const signedRoot = verdict.checkpoint.rootHash;
    if (!equalBytes(root, signedRoot)) {
      throw new Stop({
        kind: 'checkpoint_root_mismatch',
        treeSize: row.treeSize,
        detail: `the entries recompute root ${toBase64Url(root)} at size ${row.treeSize}; the head signs ${toBase64Url(signedRoot)}`,
      });
    }
    checkpoints += 1;
    latest = row.treeSize;
    pending.shift();
  };

  const checkHeadsUpTo = async (reached: number) => {
    for (let head = await nextCheckpoint(); head && head.treeSize <= reached; ) {
      await checkHead(head);
      head = await nextCheckpoint();
    }
  };

  try {
    await checkHeadsUpTo(0);
    for (;;) {
      const rows = await entriesFromLeaf(db, size, pageSize);
      if (rows.length === 0) break;
      const stored = await storedSubtrees(
        db,
        rows.flatMap((row) => refsCompletedBy(row.leafIndex ?? 0)),
      );
      for (const row of rows) {
        await checkLeaf(row, stored);
        await checkHeadsUpTo(size);
      }
      options.onProgress?.(size);
    }
    // Past the last entry: the tree (or a head) must not go further than the entries do.
    const stored = await treeSize(db);
    if (stored > size) {
      throw new Stop({
        kind: 'leaf_missing',
        leafIndex: size,
        detail: `the tree holds ${stored} leaves but no entry holds leaf ${size} or any after it`,
      });
    }
    const beyond = await nextCheckpoint();
    if (beyond) {
      throw new Stop({
        kind: 'checkpoint_beyond_log',
        treeSize: beyond.treeSize,
        detail: `a head signs ${beyond.treeSize} entries; the log holds ${size}`,
      });
    }
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    return report(err.finding);
  }
  return report(null);

  async function checkLeaf(row: AccessLogRow, stored: ReadonlyMap<string, Uint8Array>) {
    const index = row.leafIndex;
    if (index !== size) {
      throw new Stop({
        kind: 'leaf_missing',
        leafIndex: size,
        detail: `no entry holds leaf ${size}; the next entry, ${row.id}, holds leaf ${String(index)}`,
      });
    }
    const leaf = await leafHashOf(toAccessLogEntry(row));
    const appended = await appendSubtrees(size, edge, [leaf]);
    for (const node of appended.completed) {
      const have = stored.get(`${node.level}:${node.index}`);
      if (have && equalBytes(have, node.hash)) {
        nodes += 1;
        continue;
      }
      if (node.level === 0) {
        throw new Stop({
          kind: have ? 'leaf_mismatch' : 'node_missing',
          leafIndex: index,
          entryId: row.id,
          detail: have
            ? `entry ${row.id} at leaf ${index} does not hash to the leaf the tree holds: it was changed, or moved there`
            : `entry ${row.id} holds leaf ${index}, which the tree does not`,
        });
      }
      throw new Stop({
        kind: have ? 'node_mismatch' : 'node_missing',
        leafIndex: index,
        detail: `the subtree (level ${node.level}, index ${node.index}) completed by leaf ${index} is ${have ? 'stored with another hash' : 'not stored'}`,
      });
    }
    edge = appended.edge;
    size += 1;
  }

  async function report(finding: AuditFinding | null): Promise<AuditReport> {
    return {
      ok: finding === null,
      finding,
      entries: size,
      checkpoints,
      nodes,
      unsequenced: await countUnsequenced(db),
      latestCheckpoint: latest,
      signedByWithdrawnKeys,
    };
  }
}
