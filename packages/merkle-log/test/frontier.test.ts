import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendToFrontier, EMPTY_FRONTIER, frontierRoot, rootHash } from '../src/index.js';
import { leavesOf } from './helpers.js';

describe('frontier', () => {
  it('gives the empty tree the root of the empty string', async () => {
    expect(await frontierRoot(EMPTY_FRONTIER)).toEqual(await rootHash([]));
  });

  it('gives the same root as the whole tree, however the appends are batched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 20 }),
        async (entries, batchSizes) => {
          const leaves = await leavesOf(entries);
          let frontier = EMPTY_FRONTIER;
          let done = 0;
          for (let b = 0; done < leaves.length; b++) {
            const batch = leaves.slice(done, done + (batchSizes[b % batchSizes.length] ?? 1));
            frontier = await appendToFrontier(frontier, batch);
            done += batch.length;
            expect(frontier.size).toBe(done);
            // One subtree per set bit of the size.
            expect(frontier.hashes.length).toBe(done.toString(2).replace(/0/g, '').length);
            expect(await frontierRoot(frontier)).toEqual(await rootHash(leaves, done));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('leaves the frontier it was given untouched', async () => {
    const [a, b] = await leavesOf([new Uint8Array([1]), new Uint8Array([2])]);
    const one = await appendToFrontier(EMPTY_FRONTIER, [a as Uint8Array]);
    await appendToFrontier(one, [b as Uint8Array]);
    expect(one.size).toBe(1);
    expect(one.hashes).toEqual([a]);
  });
});
