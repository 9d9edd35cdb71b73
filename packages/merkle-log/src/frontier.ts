// The right edge of the tree: the roots of its perfect subtrees, largest first, one per set bit
// of the size (a Merkle mountain range). Enough to append leaves and compute the root without
// the earlier leaves, so the sequencer can append a batch in O(batch + log n) hashes.

import { emptyRoot, nodeHash } from './hash.js';
import { half, isOdd } from './sizes.js';
import type { Hash } from './tree.js';

export interface Frontier {
  readonly size: number;
  readonly hashes: readonly Hash[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, hashes: [] };

/** A new frontier with the leaf hashes appended; the input is left untouched. */
export async function appendToFrontier(
  frontier: Frontier,
  leafHashes: readonly Hash[],
): Promise<Frontier> {
  const hashes = [...frontier.hashes];
  let size = frontier.size;
  for (const leaf of leafHashes) {
    let carry = leaf;
    // Each trailing 1 bit of the old size is a perfect subtree of the same height as carry:
    // merge them, as adding 1 carries through those bits.
    for (let s = size; isOdd(s); s = half(s)) {
      const left = hashes.pop();
      if (left === undefined) throw new Error('frontier does not match its size');
      carry = await nodeHash(left, carry);
    }
    hashes.push(carry);
    size += 1;
  }
  return { size, hashes };
}

/**
 * The tree's root: §2.1.1 splits at the largest power of two, so the root folds the perfect
 * subtrees from the smallest (rightmost) into the larger ones on its left.
 */
export async function frontierRoot(frontier: Frontier): Promise<Hash> {
  const { hashes } = frontier;
  let root = hashes[hashes.length - 1];
  if (root === undefined) return emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) {
    const left = hashes[i];
    if (left === undefined) throw new Error('unreachable: index within bounds');
    root = await nodeHash(left, root);
  }
  return root;
}
