import { leafHash } from '../src/index.js';

/**
 * Leaf hashes for an access log of the given entries. Each entry's bytes start with its position,
 * so no two leaves are equal: with equal leaves a proof for one position is genuinely valid for
 * another, and "a wrong index fails" would not be a property of the tree.
 */
export function leavesOf(entries: readonly Uint8Array[]): Promise<Uint8Array[]> {
  return Promise.all(
    entries.map((entry, i) => {
      const data = new Uint8Array(4 + entry.length);
      new DataView(data.buffer).setUint32(0, i);
      data.set(entry, 4);
      return leafHash(data);
    }),
  );
}

export function flipByte(hashes: readonly Uint8Array[], which: number, at: number): Uint8Array[] {
  return hashes.map((h, i) => {
    if (i !== which) return h;
    const copy = Uint8Array.from(h);
    copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ 0x01;
    return copy;
  });
}
