// Roots and proofs from stored subtree hashes instead of the list of leaves. A log that keeps the
// hash of every perfect subtree (RFC 9162 §2.1.1 splits every tree into them) answers a proof
// with O(log n) stored hashes and O(log n) hashing, whatever its size. Storage is the caller's:
// this module only says which subtrees it needs and folds what it is given, so it stays free of
// any database code.

import { emptyRoot, nodeHash } from './hash.js';
import { isSize, splitPoint } from './sizes.js';
import type { Hash } from './tree.js';

/**
 * A perfect subtree: the 2^level leaves starting at leaf index × 2^level. Level 0 is one leaf
 * (its hash is the leaf hash), level k the node over two subtrees of level k − 1.
 */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

export interface StoredSubtree extends SubtreeRef {
  readonly hash: Hash;
}

/**
 * The hashes of stored perfect subtrees, in the order asked. Called once per root or proof with
 * every subtree it needs (O(log n) of them), so a database answers with one query. It must throw
 * when a subtree is not stored rather than invent a hash.
 */
export type SubtreeSource = (refs: readonly SubtreeRef[]) => Promise<readonly Hash[]>;

/**
 * The perfect subtrees that make up the leaf range [lo, hi), largest first. For every range a
 * tree of RFC 9162 splits into (a whole tree, a proof's sibling) they are the binary digits of
 * hi − lo, each aligned to its own size, and MTH(D[lo:hi]) folds them from the right.
 */
export function subtreesOf(lo: number, hi: number): SubtreeRef[] {
  if (!isSize(lo) || !isSize(hi) || lo > hi) {
    throw new RangeError(`[${lo}, ${hi}) is not a range of leaves`);
  }
  const refs: SubtreeRef[] = [];
  let at = lo;
  let previous = Number.POSITIVE_INFINITY;
  while (at < hi) {
    let size = 1;
    let level = 0;
    while (size * 2 <= hi - at) {
      size *= 2;
      level += 1;
    }
    // In a tree's own ranges each part starts on a multiple of its size and the parts shrink;
    // any other range has no single MTH made of stored subtrees.
    if (at % size !== 0 || size >= previous) {
      throw new RangeError(`[${lo}, ${hi}) is not a range of an RFC 9162 tree`);
    }
    refs.push({ level, index: at / size });
    previous = size;
    at += size;
  }
  return refs;
}

/** A range [lo, hi) whose hash a root or proof needs. */
interface Range {
  readonly lo: number;
  readonly hi: number;
}

function checkSize(treeSize: number): void {
  if (!isSize(treeSize)) throw new RangeError(`tree size ${treeSize} is not a size`);
}

/** The ranges of PATH(index, D[treeSize]) of §2.1.3.1, from the leaf's sibling up. */
function inclusionRanges(index: number, treeSize: number): Range[] {
  checkSize(treeSize);
  if (!isSize(index) || index >= treeSize) {
    throw new RangeError(`leaf index ${index} is not below tree size ${treeSize}`);
  }
  const path: Range[] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push({ lo: lo + k, hi });
      hi = lo + k;
    } else {
      path.push({ lo, hi: lo + k });
      lo += k;
    }
  }
  return path.reverse();
}

/** The ranges of PROOF(oldSize, D[newSize]) of §2.1.4.1, in proof order. */
function consistencyRanges(oldSize: number, newSize: number): Range[] {
  checkSize(newSize);
  if (!isSize(oldSize) || oldSize > newSize) {
    throw new RangeError(`old size ${oldSize} is not within new size ${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  const proof: Range[] = [];
  let m = oldSize;
  let lo = 0;
  let hi = newSize;
  let whole = true;
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      proof.push({ lo: lo + k, hi });
      hi = lo + k;
    } else {
      proof.push({ lo, hi: lo + k });
      lo += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) proof.push({ lo, hi });
  return proof.reverse();
}

function refsOf(ranges: readonly Range[]): SubtreeRef[] {
  return ranges.flatMap((r) => subtreesOf(r.lo, r.hi));
}

/** Every stored subtree the inclusion proof of leaf `index` at `treeSize` reads: O(log n). */
export function inclusionProofRefs(index: number, treeSize: number): SubtreeRef[] {
  return refsOf(inclusionRanges(index, treeSize));
}

/** Every stored subtree the consistency proof between two sizes reads: O(log n). */
export function consistencyProofRefs(oldSize: number, newSize: number): SubtreeRef[] {
  return refsOf(consistencyRanges(oldSize, newSize));
}

/** Every stored subtree the root of a tree of `treeSize` leaves folds: one per set bit. */
export function rootRefs(treeSize: number): SubtreeRef[] {
  checkSize(treeSize);
  return subtreesOf(0, treeSize);
}

const keyOf = (ref: SubtreeRef) => `${ref.level}:${ref.index}`;

/** Asks the source once for every distinct subtree of the ranges, then folds each range. */
async function hashRanges(source: SubtreeSource, ranges: readonly Range[]): Promise<Hash[]> {
  const parts = ranges.map((r) => subtreesOf(r.lo, r.hi));
  const wanted = new Map<string, SubtreeRef>();
  for (const ref of parts.flat()) wanted.set(keyOf(ref), ref);
  const refs = [...wanted.values()];
  const hashes = refs.length === 0 ? [] : await source(refs);
  if (hashes.length !== refs.length) {
    throw new Error(`the subtree source answered ${hashes.length} hashes for ${refs.length}`);
  }
  const byKey = new Map(refs.map((ref, i) => [keyOf(ref), hashes[i] as Hash]));
  return Promise.all(
    parts.map((subtrees) => foldSubtrees(subtrees.map((ref) => byKey.get(keyOf(ref)) as Hash))),
  );
}

/** MTH of a range from its perfect subtrees, largest first: fold from the right (§2.1.1). */
export async function foldSubtrees(hashes: readonly Hash[]): Promise<Hash> {
  let root = hashes[hashes.length - 1];
  if (root === undefined) return emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) {
    root = await nodeHash(hashes[i] as Hash, root);
  }
  return root;
}

/** MTH(D[treeSize]) from stored subtrees, never from the leaves. */
export async function storedRootHash(source: SubtreeSource, treeSize: number): Promise<Hash> {
  checkSize(treeSize);
  if (treeSize === 0) return emptyRoot();
  const [root] = await hashRanges(source, [{ lo: 0, hi: treeSize }]);
  return root as Hash;
}

/** As `inclusionProof`, from stored subtrees: the same hashes, in the same order. */
export async function storedInclusionProof(
  source: SubtreeSource,
  index: number,
  treeSize: number,
): Promise<Hash[]> {
  return hashRanges(source, inclusionRanges(index, treeSize));
}

/** As `consistencyProof`, from stored subtrees: the same hashes, in the same order. */
export async function storedConsistencyProof(
  source: SubtreeSource,
  oldSize: number,
  newSize: number,
): Promise<Hash[]> {
  return hashRanges(source, consistencyRanges(oldSize, newSize));
}

/**
 * Appends leaves to a tree of `size` leaves whose right edge (`edge`: the perfect subtrees of
 * [0, size), largest first, as `rootRefs(size)` names them) is given, and returns every subtree
 * the new leaves complete — the leaves themselves at level 0, and each node whose last leaf just
 * arrived — plus the new right edge. What a log stores after a batch, in O(batch + log n) hashes.
 */
export async function appendSubtrees(
  size: number,
  edge: readonly Hash[],
  leafHashes: readonly Hash[],
): Promise<{ readonly completed: StoredSubtree[]; readonly edge: Hash[] }> {
  const refs = rootRefs(size);
  if (refs.length !== edge.length) {
    throw new Error(
      `a tree of ${size} leaves has ${refs.length} edge subtrees, not ${edge.length}`,
    );
  }
  const stack: StoredSubtree[] = refs.map((ref, i) => ({ ...ref, hash: edge[i] as Hash }));
  const completed: StoredSubtree[] = [];
  let next = size;
  for (const leaf of leafHashes) {
    let carry: StoredSubtree = { level: 0, index: next, hash: leaf };
    completed.push(carry);
    // Two subtrees of one level side by side make the subtree one level up, as adding 1 to the
    // size carries through its trailing 1 bits.
    for (
      let top = stack.at(-1);
      top !== undefined && top.level === carry.level;
      top = stack.at(-1)
    ) {
      stack.pop();
      carry = {
        level: carry.level + 1,
        index: top.index / 2,
        hash: await nodeHash(top.hash, carry.hash),
      };
      completed.push(carry);
    }
    stack.push(carry);
    next += 1;
  }
  return { completed, edge: stack.map((s) => s.hash) };
}
