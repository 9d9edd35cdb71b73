import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import { flipByte, leavesOf } from './helpers.js';

// Random append sequences of up to 64 entries; every index and every earlier size of each one.
const appendSequence = fc.array(fc.uint8Array({ maxLength: 24 }), { minLength: 1, maxLength: 64 });

describe('inclusion proofs over random append sequences', () => {
  it('verify for every index of every size', async () => {
    await fc.assert(
      fc.asyncProperty(appendSequence, async (entries) => {
        const leaves = await leavesOf(entries);
        for (let size = 1; size <= leaves.length; size++) {
          const root = await rootHash(leaves, size);
          for (let index = 0; index < size; index++) {
            const proof = await inclusionProof(leaves, index, size);
            const leafHash = leaves[index] as Uint8Array;
            expect(await verifyInclusion({ leafHash, index, treeSize: size, proof, root })).toBe(
              true,
            );
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it('fail with a flipped byte, a wrong index, a wrong size, a wrong root or extra hashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        appendSequence,
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (entries, pickSize, pickIndex, pickByte) => {
          const leaves = await leavesOf(entries);
          const size = 1 + (pickSize % leaves.length);
          const index = pickIndex % size;
          const root = await rootHash(leaves, size);
          const proof = await inclusionProof(leaves, index, size);
          const leafHash = leaves[index] as Uint8Array;
          const valid = { leafHash, index, treeSize: size, proof, root };

          for (let i = 0; i < proof.length; i++) {
            expect(await verifyInclusion({ ...valid, proof: flipByte(proof, i, pickByte) })).toBe(
              false,
            );
          }
          for (const wrongIndex of [index - 1, index + 1, index ^ 2, size]) {
            if (wrongIndex === index) continue;
            expect(await verifyInclusion({ ...valid, index: wrongIndex })).toBe(false);
          }
          // Sizes whose tree has a different shape at this leaf. (A size with the same shape,
          // such as 3 and 4 for leaf 0, yields the same path: the signed root pins the size.)
          for (const wrongSize of [size * 2, Math.floor(size / 2), 0]) {
            expect(await verifyInclusion({ ...valid, treeSize: wrongSize })).toBe(false);
          }
          expect(
            await verifyInclusion({
              ...valid,
              root: flipByte([root], 0, pickByte)[0] as Uint8Array,
            }),
          ).toBe(false);
          expect(
            await verifyInclusion({
              ...valid,
              leafHash: flipByte([leafHash], 0, pickByte)[0] as Uint8Array,
            }),
          ).toBe(false);
          expect(await verifyInclusion({ ...valid, proof: [...proof, root] })).toBe(false);
          expect(await verifyInclusion({ ...valid, proof: [root, ...proof] })).toBe(false);
          if (proof.length > 0) {
            expect(await verifyInclusion({ ...valid, proof: proof.slice(0, -1) })).toBe(false);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('consistency proofs over random append sequences', () => {
  it('verify between every pair of sizes 1 ≤ m ≤ n', async () => {
    await fc.assert(
      fc.asyncProperty(appendSequence, async (entries) => {
        const leaves = await leavesOf(entries);
        const roots = await Promise.all(leaves.map((_, i) => rootHash(leaves, i + 1)));
        for (let newSize = 1; newSize <= leaves.length; newSize++) {
          for (let oldSize = 1; oldSize <= newSize; oldSize++) {
            const proof = await consistencyProof(leaves, oldSize, newSize);
            const input = {
              oldSize,
              newSize,
              oldRoot: roots[oldSize - 1] as Uint8Array,
              newRoot: roots[newSize - 1] as Uint8Array,
              proof,
            };
            expect(await verifyConsistency(input)).toBe(true);
          }
        }
      }),
      { numRuns: 10 },
    );
  });

  it('fail with a flipped byte, wrong sizes, wrong or swapped roots, or a changed proof', async () => {
    await fc.assert(
      fc.asyncProperty(
        appendSequence.filter((entries) => entries.length >= 2),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        async (entries, pickNew, pickOld, pickByte) => {
          const leaves = await leavesOf(entries);
          const newSize = 2 + (pickNew % (leaves.length - 1));
          const oldSize = 1 + (pickOld % (newSize - 1));
          const oldRoot = await rootHash(leaves, oldSize);
          const newRoot = await rootHash(leaves, newSize);
          const proof = await consistencyProof(leaves, oldSize, newSize);
          const valid = { oldSize, newSize, oldRoot, newRoot, proof };
          expect(await verifyConsistency(valid)).toBe(true);

          for (let i = 0; i < proof.length; i++) {
            const tampered = flipByte(proof, i, pickByte);
            expect(await verifyConsistency({ ...valid, proof: tampered })).toBe(false);
          }
          for (const wrongOld of [oldSize - 1, oldSize + 1, oldSize ^ 2]) {
            if (wrongOld === oldSize || wrongOld < 1) continue;
            expect(await verifyConsistency({ ...valid, oldSize: wrongOld })).toBe(false);
          }
          for (const wrongNew of [newSize * 2, Math.floor(newSize / 2)]) {
            expect(await verifyConsistency({ ...valid, newSize: wrongNew })).toBe(false);
          }
          expect(await verifyConsistency({ ...valid, oldRoot: newRoot, newRoot: oldRoot })).toBe(
            false,
          );
          expect(
            await verifyConsistency({
              ...valid,
              oldRoot: flipByte([oldRoot], 0, pickByte)[0] as Uint8Array,
            }),
          ).toBe(false);
          expect(
            await verifyConsistency({
              ...valid,
              newRoot: flipByte([newRoot], 0, pickByte)[0] as Uint8Array,
            }),
          ).toBe(false);
          expect(await verifyConsistency({ ...valid, proof: [] })).toBe(false);
          expect(await verifyConsistency({ ...valid, proof: proof.slice(0, -1) })).toBe(false);
          expect(await verifyConsistency({ ...valid, proof: [...proof, newRoot] })).toBe(false);
          expect(await verifyConsistency({ ...valid, proof: [oldRoot, ...proof] })).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
