import { describe, expect, it } from 'vitest';
import { consistencyProof, leafHash, rootHash, verifyConsistency } from '../src/index.js';
import { leavesOf } from './helpers.js';

// A checkpoint signed at size 10 must not be consistent with any log whose first ten entries
// differ from the ones it was signed over: that is what makes an edited access log evident.
const ENTRIES = Array.from({ length: 16 }, (_, i) => new TextEncoder().encode(`read ${i}`));
const CHECKPOINT_SIZE = 10;

async function consistentWithCheckpoint(
  checkpoint: { size: number; root: Uint8Array },
  leaves: readonly Uint8Array[],
): Promise<boolean> {
  const newRoot = await rootHash(leaves);
  const proof = await consistencyProof(leaves, checkpoint.size, leaves.length);
  return verifyConsistency({
    oldSize: checkpoint.size,
    newSize: leaves.length,
    oldRoot: checkpoint.root,
    newRoot,
    proof,
  });
}

async function checkpoint(): Promise<{ size: number; root: Uint8Array }> {
  const leaves = await leavesOf(ENTRIES.slice(0, CHECKPOINT_SIZE));
  return { size: CHECKPOINT_SIZE, root: await rootHash(leaves) };
}

describe('tamper evidence against a checkpoint', () => {
  it('an untouched log that only grew is consistent with it', async () => {
    expect(await consistentWithCheckpoint(await checkpoint(), await leavesOf(ENTRIES))).toBe(true);
  });

  for (let target = 0; target < CHECKPOINT_SIZE; target++) {
    it(`editing entry ${target} changes the root and breaks consistency`, async () => {
      const honest = await leavesOf(ENTRIES);
      const edited = [...honest];
      edited[target] = await leafHash(new TextEncoder().encode(`read ${target}, edited`));
      expect(await rootHash(edited)).not.toEqual(await rootHash(honest));
      expect(await consistentWithCheckpoint(await checkpoint(), edited)).toBe(false);
    });

    it(`deleting entry ${target} breaks consistency`, async () => {
      const honest = await leavesOf(ENTRIES);
      const deleted = honest.filter((_, i) => i !== target);
      expect(await consistentWithCheckpoint(await checkpoint(), deleted)).toBe(false);
    });
  }

  for (let target = 0; target < CHECKPOINT_SIZE - 1; target++) {
    it(`swapping entries ${target} and ${target + 1} breaks consistency`, async () => {
      const reordered = await leavesOf(ENTRIES);
      const [a, b] = [reordered[target], reordered[target + 1]] as [Uint8Array, Uint8Array];
      reordered[target] = b;
      reordered[target + 1] = a;
      expect(await consistentWithCheckpoint(await checkpoint(), reordered)).toBe(false);
    });
  }

  it('a log cut back below the checkpoint cannot produce a proof for it', async () => {
    const truncated = (await leavesOf(ENTRIES)).slice(0, CHECKPOINT_SIZE - 1);
    await expect(consistentWithCheckpoint(await checkpoint(), truncated)).rejects.toThrow(
      RangeError,
    );
  });
});
