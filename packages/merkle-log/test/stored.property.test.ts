import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendSubtrees,
  consistencyProof,
  consistencyProofRefs,
  inclusionProof,
  inclusionProofRefs,
  rootHash,
  rootRefs,
  type StoredSubtree,
  type SubtreeRef,
  type SubtreeSource,
  storedConsistencyProof,
  storedInclusionProof,
  storedRootHash,
  subtreesOf,
} from '../src/index.js';
import { leavesOf } from './helpers.js';

const appendSequence = fc.array(fc.uint8Array({ maxLength: 16 }), { minLength: 1, maxLength: 70 });
const batchSizes = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 12 });

/**
 * A store built the way a log builds it: batches appended with `appendSubtrees`, every completed
 * subtree kept by (level, index). Throws on a subtree that was never stored, as a database would.
 */
async function buildStore(leaves: readonly Uint8Array[], batches: readonly number[]) {
  const stored = new Map<string, StoredSubtree>();
  let edge: Uint8Array[] = [];
  let size = 0;
  for (let b = 0; size < leaves.length; b++) {
    const batch = leaves.slice(size, size + (batches[b % batches.length] ?? 1));
    const appended = await appendSubtrees(size, edge, batch);
    for (const node of appended.completed) {
      const key = `${node.level}:${node.index}`;
      expect(stored.has(key), `${key} completed twice`).toBe(false);
      stored.set(key, node);
    }
    edge = appended.edge;
    size += batch.length;
  }
  const reads: SubtreeRef[][] = [];
  const source: SubtreeSource = async (refs) => {
    reads.push([...refs]);
    return refs.map((ref) => {
      const node = stored.get(`${ref.level}:${ref.index}`);
      if (!node) throw new Error(`subtree ${ref.level}:${ref.index} is not stored`);
      return node.hash;
    });
  };
  return { stored, source, reads };
}

const log2 = (n: number) => Math.ceil(Math.log2(Math.max(n, 2)));

describe('proofs from stored subtrees', () => {
  it('store exactly the perfect subtrees, whatever the batches', async () => {
    await fc.assert(
      fc.asyncProperty(appendSequence, batchSizes, async (entries, batches) => {
        const leaves = await leavesOf(entries);
        const { stored } = await buildStore(leaves, batches);
        // A tree of n leaves has one perfect subtree of level k per full block of 2^k leaves.
        let expected = 0;
        for (let block = 1; block <= leaves.length; block *= 2) {
          expected += Math.floor(leaves.length / block);
        }
        expect(stored.size).toBe(expected);
        for (const node of stored.values()) {
          const lo = node.index * 2 ** node.level;
          const hi = lo + 2 ** node.level;
          expect(node.hash).toEqual(await rootHash(leaves.slice(lo, hi)));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('give the same roots and inclusion proofs as the leaves, with one read of O(log n) rows', async () => {
    await fc.assert(
      fc.asyncProperty(appendSequence, batchSizes, async (entries, batches) => {
        const leaves = await leavesOf(entries);
        const { source, reads } = await buildStore(leaves, batches);
        for (let size = 1; size <= leaves.length; size++) {
          expect(await storedRootHash(source, size)).toEqual(await rootHash(leaves, size));
          expect(rootRefs(size).length).toBeLessThanOrEqual(log2(size) + 1);
          for (let index = 0; index < size; index++) {
            reads.length = 0;
            const proof = await storedInclusionProof(source, index, size);
            expect(proof).toEqual(await inclusionProof(leaves, index, size));
            expect(reads).toHaveLength(proof.length === 0 ? 0 : 1);
            // The one right-edge sibling may take a subtree per set bit; the rest one each.
            expect(inclusionProofRefs(index, size).length).toBeLessThanOrEqual(2 * log2(size));
          }
        }
      }),
      { numRuns: 12 },
    );
  });

  it('give the same consistency proofs as the leaves between every pair of sizes', async () => {
    await fc.assert(
      fc.asyncProperty(appendSequence, batchSizes, async (entries, batches) => {
        const leaves = await leavesOf(entries);
        const { source } = await buildStore(leaves, batches);
        for (let newSize = 1; newSize <= leaves.length; newSize++) {
          for (let oldSize = 0; oldSize <= newSize; oldSize++) {
            expect(await storedConsistencyProof(source, oldSize, newSize)).toEqual(
              await consistencyProof(leaves, oldSize, newSize),
            );
            expect(consistencyProofRefs(oldSize, newSize).length).toBeLessThanOrEqual(
              2 * log2(newSize) + 1,
            );
          }
        }
      }),
      { numRuns: 8 },
    );
  });

  it('give the empty root for the empty tree without reading anything', async () => {
    const source: SubtreeSource = async () => {
      throw new Error('nothing should be read');
    };
    expect(await storedRootHash(source, 0)).toEqual(await rootHash([]));
    expect(await storedConsistencyProof(source, 0, 5)).toEqual([]);
  });

  it('refuse sizes and indices outside the tree, and ranges no tree splits into', async () => {
    const source: SubtreeSource = async (refs) => refs.map(() => new Uint8Array(32));
    await expect(storedInclusionProof(source, 3, 3)).rejects.toThrow(RangeError);
    await expect(storedInclusionProof(source, -1, 3)).rejects.toThrow(RangeError);
    await expect(storedConsistencyProof(source, 4, 3)).rejects.toThrow(RangeError);
    await expect(storedRootHash(source, 1.5)).rejects.toThrow(RangeError);
    expect(() => subtreesOf(1, 5)).toThrow(RangeError);
    expect(subtreesOf(8, 15)).toEqual([
      { level: 2, index: 2 },
      { level: 1, index: 6 },
      { level: 0, index: 14 },
    ]);
  });

  it('refuse an edge that does not fit the size', async () => {
    await expect(appendSubtrees(3, [new Uint8Array(32)], [])).rejects.toThrow(/edge/);
  });
});
