import {
  decodeProof,
  verifyConsistency as verifyConsistencyProof,
  verifyInclusion,
} from '@tongban/merkle-log';
import type { Checkpoint } from './checkpoint.js';
import { type AccessLogEntry, leafHashOf } from './entry.js';

/** One item of `GET /v1/access-log` or `GET /v1/me/access-log`. */
export interface AccessLogItem {
  readonly entry: AccessLogEntry;
  /** Position in the tree; null until the sequencer has taken the entry (seconds). */
  readonly leafIndex: number | null;
  /** Base64url hashes from the leaf's sibling up; null while the entry is pending. */
  readonly inclusionProof: readonly string[] | null;
  /** The size of the checkpoint the proof is for; null while the entry is pending. */
  readonly treeSize: number | null;
}

export type EntryProblem = 'tree_size_mismatch' | 'proof_missing' | 'not_included';

export type EntryVerdict =
  | { readonly status: 'included' }
  | { readonly status: 'pending' }
  | { readonly status: 'invalid'; readonly problem: EntryProblem; readonly detail: string };

const invalid = (problem: EntryProblem, detail: string): EntryVerdict => ({
  status: 'invalid',
  problem,
  detail,
});

/**
 * Checks one item against a verified checkpoint: its entry's leaf, at its leaf index, is in the
 * tree the checkpoint signed. An item without a proof is pending only if the checkpoint does not
 * cover its position yet; a proof for another tree size is refused, since only the checkpoint's
 * signature binds a root to its size. Never throws.
 */
export async function verifyEntry(
  item: AccessLogItem,
  checkpoint: Checkpoint,
): Promise<EntryVerdict> {
  const { leafIndex, inclusionProof, treeSize } = item;
  if (inclusionProof === null) {
    if (leafIndex !== null && leafIndex < checkpoint.treeSize) {
      return invalid(
        'proof_missing',
        `leaf ${leafIndex} is inside the tree of ${checkpoint.treeSize} but came without a proof`,
      );
    }
    return { status: 'pending' };
  }
  if (treeSize !== checkpoint.treeSize) {
    return invalid(
      'tree_size_mismatch',
      `the proof is for a tree of ${String(treeSize)}, the checkpoint signs ${checkpoint.treeSize}`,
    );
  }
  if (leafIndex === null || !Number.isSafeInteger(leafIndex)) {
    return invalid('not_included', 'a proof without a leaf index');
  }
  let proof: Uint8Array[];
  let leafHash: Uint8Array;
  try {
    proof = decodeProof(inclusionProof, 'base64url');
    leafHash = await leafHashOf(item.entry);
  } catch {
    return invalid('not_included', 'the proof or the entry cannot be read');
  }
  const included = await verifyInclusion({
    leafHash,
    index: leafIndex,
    treeSize: checkpoint.treeSize,
    proof,
    root: checkpoint.rootHash,
  });
  return included
    ? { status: 'included' }
    : invalid(
        'not_included',
        `the entry at leaf ${leafIndex} does not hash to the root signed for size ${checkpoint.treeSize}`,
      );
}

/**
 * The tree of the later checkpoint extends the tree of the earlier one (RFC 9162 §2.1.4.2): no
 * entry of the earlier tree was removed, changed or moved. `proof` is what
 * `GET /v1/access-log/consistency?from=…&to=…` returns. Never throws.
 */
export async function verifyConsistency(
  from: Checkpoint,
  to: Checkpoint,
  proof: readonly string[],
): Promise<boolean> {
  let hashes: Uint8Array[];
  try {
    hashes = decodeProof(proof, 'base64url');
  } catch {
    return false;
  }
  return verifyConsistencyProof({
    oldSize: from.treeSize,
    newSize: to.treeSize,
    oldRoot: from.rootHash,
    newRoot: to.rootHash,
    proof: hashes,
  });
}
