// Verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency) state it,
// step by step; the step numbers in comments are the RFC's. A verifier answers false rather
// than throwing, because every malformed input is simply a proof that does not verify.

import { equalBytes, HASH_SIZE, nodeHash } from './hash.js';
import { half, isOdd, isPowerOfTwo, isSize } from './sizes.js';
import type { Hash } from './tree.js';

export interface InclusionInput {
  leafHash: Hash;
  index: number;
  treeSize: number;
  proof: readonly Hash[];
  root: Hash;
}

export interface ConsistencyInput {
  oldSize: number;
  newSize: number;
  oldRoot: Hash;
  newRoot: Hash;
  proof: readonly Hash[];
}

function wellFormed(hashes: readonly Hash[]): boolean {
  return hashes.every((h) => h.length === HASH_SIZE);
}

export async function verifyInclusion(input: InclusionInput): Promise<boolean> {
  const { leafHash, index, treeSize, proof, root } = input;
  if (!isSize(index) || !isSize(treeSize)) return false;
  if (!wellFormed([leafHash, root, ...proof])) return false;
  // 1. leaf_index must be below tree_size.
  if (index >= treeSize) return false;
  // 2. fn = leaf_index, sn = tree_size - 1.
  let fn = index;
  let sn = treeSize - 1;
  // 3. r = hash.
  let r = leafHash;
  // 4. For each p in inclusion_path:
  for (const p of proof) {
    // a. A proof element left over once sn reaches 0 fails the proof.
    if (sn === 0) return false;
    // b. p is a left sibling when fn is a right child, or when fn is the last node of its level.
    if (isOdd(fn) || fn === sn) {
      r = await nodeHash(p, r);
      // Climb past the levels where fn is a lone rightmost node with no sibling.
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. All levels consumed, and the recomputed root matches.
  return sn === 0 && equalBytes(r, root);
}

export async function verifyConsistency(input: ConsistencyInput): Promise<boolean> {
  const { oldSize, newSize, oldRoot, newRoot, proof } = input;
  if (!isSize(oldSize) || !isSize(newSize) || oldSize > newSize) return false;
  if (!wellFormed([oldRoot, newRoot, ...proof])) return false;
  // §2.1.4.2's algorithm presumes 0 < first < second. At the edges PROOF() of §2.1.4.1 is empty:
  // equal sizes must mean equal roots, and the empty tree is a prefix of every tree.
  if (oldSize === newSize) return proof.length === 0 && equalBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  // 1. An empty consistency_path fails.
  if (proof.length === 0) return false;
  // 2. When first is an exact power of two, the old root is itself a node of the new tree and
  //    the proof omits it; put it back in front.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  // 3. fn = first - 1, sn = second - 1.
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // 4. Skip the levels where the old tree's last node is a right child.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = consistency_path[0].
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fr = first;
  let sr = first;
  // 6. For each c in the rest of consistency_path:
  for (const c of rest) {
    // a.
    if (sn === 0) return false;
    // b.
    if (isOdd(fn) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    // c.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Both roots recomputed and every level consumed.
  return equalBytes(fr, oldRoot) && equalBytes(sr, newRoot) && sn === 0;
}
