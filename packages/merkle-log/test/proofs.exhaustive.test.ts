import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  inclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/index.js';
import { flipByte, leavesOf } from './helpers.js';

// Every tree shape up to 40 leaves (past 32, so trees of six levels with a ragged right edge are
// covered), every index and every pair of sizes, with the corruptions the random tests draw
// from. 40 rather than 64 keeps the file to a few seconds; the random tests reach 64.
const MAX = 40;

describe('proofs for every shape up to 40 leaves', () => {
  it('inclusion proofs verify and their corruptions do not', async () => {
    const leaves = await leavesOf(Array.from({ length: MAX }, () => new Uint8Array(0)));
    for (let size = 1; size <= MAX; size++) {
      const root = await rootHash(leaves, size);
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProof(leaves, index, size);
        const valid = { leafHash: leaves[index] as Uint8Array, index, treeSize: size, proof, root };
        expect(await verifyInclusion(valid), `${index} of ${size}`).toBe(true);
        for (const wrongIndex of [index - 1, index + 1, index ^ 2]) {
          if (wrongIndex === index) continue;
          expect(await verifyInclusion({ ...valid, index: wrongIndex })).toBe(false);
        }
        for (const wrongSize of [size * 2, Math.floor(size / 2)]) {
          expect(await verifyInclusion({ ...valid, treeSize: wrongSize })).toBe(false);
        }
        for (let i = 0; i < proof.length; i++) {
          expect(await verifyInclusion({ ...valid, proof: flipByte(proof, i, 31) })).toBe(false);
        }
      }
    }
  });

  it('consistency proofs verify and their corruptions do not', async () => {
    const leaves = await leavesOf(Array.from({ length: MAX }, () => new Uint8Array(0)));
    const roots = await Promise.all(leaves.map((_, i) => rootHash(leaves, i + 1)));
    for (let newSize = 1; newSize <= MAX; newSize++) {
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const proof = await consistencyProof(leaves, oldSize, newSize);
        const oldRoot = roots[oldSize - 1] as Uint8Array;
        const newRoot = roots[newSize - 1] as Uint8Array;
        const valid = { oldSize, newSize, oldRoot, newRoot, proof };
        expect(await verifyConsistency(valid), `${oldSize} to ${newSize}`).toBe(true);
        if (oldSize === newSize) continue;
        for (const wrongOld of [oldSize - 1, oldSize + 1, oldSize ^ 2]) {
          if (wrongOld === oldSize || wrongOld < 1) continue;
          expect(await verifyConsistency({ ...valid, oldSize: wrongOld })).toBe(false);
        }
        for (const wrongNew of [newSize * 2, Math.floor(newSize / 2)]) {
          expect(await verifyConsistency({ ...valid, newSize: wrongNew })).toBe(false);
        }
        for (let i = 0; i < proof.length; i++) {
          expect(await verifyConsistency({ ...valid, proof: flipByte(proof, i, 0) })).toBe(false);
        }
      }
    }
  });
});
