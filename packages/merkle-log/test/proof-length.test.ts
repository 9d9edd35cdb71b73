import { describe, expect, it } from 'vitest';
import { inclusionProof } from '../src/index.js';
import { leavesOf } from './helpers.js';

// The length of PATH(m, D[n]) without building the tree: the levels where the leaf and the last
// leaf part ways (the bit length of m XOR (n - 1)), plus one per complete left subtree above
// that (the set bits of m shifted past them). Checked against generated proofs first, then
// applied to a million entries, where building the leaves would only measure WebCrypto.
function inclusionProofLength(index: number, size: number): number {
  const inner = (index ^ (size - 1)).toString(2).replace(/^0+/, '').length;
  const border = (index >>> inner).toString(2).replace(/0/g, '').length;
  return inner + border;
}

describe('inclusion proof length', () => {
  it('matches generated proofs for every index of every size up to 40', async () => {
    const leaves = await leavesOf(Array.from({ length: 40 }, () => new Uint8Array(0)));
    for (let size = 1; size <= leaves.length; size++) {
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(leaves, index, size);
        expect(proof.length, `${index} of ${size}`).toBe(inclusionProofLength(index, size));
      }
    }
  });

  it('is at most 20 hashes for every entry of a 1,000,000-entry log', () => {
    const size = 1_000_000;
    let longest = 0;
    for (let index = 0; index < size; index++) {
      longest = Math.max(longest, inclusionProofLength(index, size));
    }
    expect(longest).toBeLessThanOrEqual(20);
    expect(longest).toBe(20);
  });
});
