// Root and proof generation from the list of leaf hashes (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1).
// The service stores leaf hashes, so generation takes them as input instead of keeping a tree.
// Cost: each function hashes every leaf of the requested tree at most once, so it is O(n)
// hashes per call and O(log n) recursion depth; no interior node is cached between calls.

import { emptyRoot, nodeHash } from './hash.js';
import { isSize, splitPoint } from './sizes.js';

export type Hash = Uint8Array;

/** MTH(D[lo:hi]) over leaf hashes; hi > lo. */
async function subtreeRoot(leaves: readonly Hash[], lo: number, hi: number): Promise<Hash> {
  if (hi - lo === 1) return leafAt(leaves, lo);
  const k = splitPoint(hi - lo);
  return nodeHash(await subtreeRoot(leaves, lo, lo + k), await subtreeRoot(leaves, lo + k, hi));
}

function leafAt(leaves: readonly Hash[], i: number): Hash {
  const leaf = leaves[i];
  if (leaf === undefined) throw new RangeError(`no leaf hash at index ${i}`);
  return leaf;
}

function checkTreeSize(leaves: readonly Hash[], treeSize: number): void {
  if (!isSize(treeSize) || treeSize > leaves.length) {
    throw new RangeError(`tree size ${treeSize} is not within the ${leaves.length} leaves given`);
  }
}

/** MTH over the first treeSize leaf hashes (all of them by default). */
export async function rootHash(leaves: readonly Hash[], treeSize = leaves.length): Promise<Hash> {
  checkTreeSize(leaves, treeSize);
  if (treeSize === 0) return emptyRoot();
  return subtreeRoot(leaves, 0, treeSize);
}

/**
 * PATH(m, D[n]) of §2.1.3.1: the audit path for the leaf at index m in the tree of size n,
 * ordered from the leaf's sibling up to the root's other child.
 */
export async function inclusionProof(
  leaves: readonly Hash[],
  index: number,
  treeSize: number,
): Promise<Hash[]> {
  checkTreeSize(leaves, treeSize);
  if (!isSize(index) || index >= treeSize) {
    throw new RangeError(`leaf index ${index} is not below tree size ${treeSize}`);
  }
  const path: Hash[] = [];
  // Descend from the root; each level contributes the subtree the leaf is not in. Collected
  // top-down, returned bottom-up as the RFC orders it.
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push(await subtreeRoot(leaves, lo + k, hi));
      hi = lo + k;
    } else {
      path.push(await subtreeRoot(leaves, lo, lo + k));
      lo = lo + k;
    }
  }
  return path.reverse();
}

/**
 * PROOF(m, D[n]) of §2.1.4.1: the consistency proof between the tree of size oldSize and the
 * tree of size newSize. Empty when oldSize is 0 or equals newSize.
 */
export async function consistencyProof(
  leaves: readonly Hash[],
  oldSize: number,
  newSize: number,
): Promise<Hash[]> {
  checkTreeSize(leaves, newSize);
  if (!isSize(oldSize) || oldSize > newSize) {
    throw new RangeError(`old size ${oldSize} is not within new size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const proof: Hash[] = [];
  // SUBPROOF(m, D[lo:hi], b) unrolled; entries are collected top-down and reversed at the end.
  let m = oldSize;
  let lo = 0;
  let hi = newSize;
  let whole = true;
  while (m !== hi - lo) {
    const n = hi - lo;
    const k = splitPoint(n);
    if (m <= k) {
      proof.push(await subtreeRoot(leaves, lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(await subtreeRoot(leaves, lo, lo + k));
      lo = lo + k;
      m -= k;
      whole = false;
    }
  }
  // SUBPROOF(m, D[m], b): nothing when the old tree is the whole subtree, else MTH(D[m]).
  if (!whole) proof.push(await subtreeRoot(leaves, lo, hi));
  return proof.reverse();
}
