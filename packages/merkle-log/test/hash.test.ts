import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256WebCrypto } from '../src/hash.js';
import { leafHash, nodeHash } from '../src/index.js';

// Under Node the hashes come from node:crypto; in a browser from WebCrypto. Both must give the
// same RFC 9162 hashes, or a proof built on the server would not verify in the browser.
describe('the two SHA-256 paths', () => {
  it('agree on leaf and node hashes for any input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (data, right) => {
          const leafInput = new Uint8Array([0, ...data]);
          expect(await leafHash(data)).toEqual(await sha256WebCrypto(leafInput));
          const nodeInput = new Uint8Array([1, ...data, ...right]);
          expect(await nodeHash(data, right)).toEqual(await sha256WebCrypto(nodeInput));
          expect(await leafHash(data)).toEqual(
            new Uint8Array(createHash('sha256').update(leafInput).digest()),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
