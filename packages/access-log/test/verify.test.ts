import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Checkpoint, verifyCheckpoint, verifyConsistency, verifyEntry } from '../src/index.js';
import { consistency, entries, jwksOf, type LogKey, makeKey, publish } from './helpers.js';

let key: LogKey;
beforeAll(async () => {
  key = await makeKey();
});

async function verified(jws: string): Promise<Checkpoint> {
  const verdict = await verifyCheckpoint(jws, jwksOf(key));
  if (!verdict.ok) throw new Error(`${verdict.problem}: ${verdict.detail}`);
  return verdict.checkpoint;
}

describe('verifyEntry', () => {
  it('proves every published entry and refuses it changed, moved or for another size', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries({ minLength: 2, maxLength: 24 }),
        fc.nat(),
        fc.nat(),
        async (all, pickSize, pick) => {
          const size = 2 + (pickSize % (all.length - 1));
          const log = await publish(key, all, size);
          const checkpoint = await verified(log.checkpoint);
          for (const item of log.items) {
            const verdict = await verifyEntry(item, checkpoint);
            expect(verdict.status).toBe(item.leafIndex === null ? 'pending' : 'included');
          }
          const i = pick % size;
          const item = log.items[i] as (typeof log.items)[number];
          const changed = { ...item, entry: { ...item.entry, purpose: `${item.entry.purpose}x` } };
          expect(await verifyEntry(changed, checkpoint)).toMatchObject({
            status: 'invalid',
            problem: 'not_included',
          });
          const moved = { ...item, leafIndex: (i + 1) % size };
          expect(await verifyEntry(moved, checkpoint)).toMatchObject({
            status: 'invalid',
            problem: 'not_included',
          });
          const otherSize = { ...item, treeSize: size + 1 };
          expect(await verifyEntry(otherSize, checkpoint)).toMatchObject({
            status: 'invalid',
            problem: 'tree_size_mismatch',
          });
          const withheld = { ...item, inclusionProof: null, treeSize: null };
          expect(await verifyEntry(withheld, checkpoint)).toMatchObject({
            status: 'invalid',
            problem: 'proof_missing',
          });
          const garbled = { ...item, inclusionProof: ['not base64url!'] };
          expect(await verifyEntry(garbled, checkpoint)).toMatchObject({
            status: 'invalid',
            problem: 'not_included',
          });
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('verifyConsistency', () => {
  it('holds between every two heads of one log and fails against a rewritten one', async () => {
    await fc.assert(
      fc.asyncProperty(
        entries({ minLength: 2, maxLength: 20 }),
        fc.nat(),
        fc.nat(),
        async (all, a, b) => {
          const newSize = 1 + (a % all.length);
          const oldSize = 1 + (b % newSize);
          const before = await publish(key, all, oldSize);
          const after = await publish(key, all, newSize);
          const from = await verified(before.checkpoint);
          const to = await verified(after.checkpoint);
          const proof = await consistency(after.leaves, oldSize, newSize);
          expect(await verifyConsistency(from, to, proof)).toBe(true);
          // The same entries with the first two swapped: a rewritten history.
          const rewritten = [all[1], all[0], ...all.slice(2)] as typeof all;
          const forged = await publish(key, rewritten, newSize);
          const forgedProof = await consistency(forged.leaves, oldSize, newSize);
          const forgedHead = await verified(forged.checkpoint);
          expect(await verifyConsistency(from, forgedHead, forgedProof)).toBe(false);
          expect(await verifyConsistency(from, to, ['%%'])).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });
});
