// RFC 9162 §2.1.1: SHA-256 with domain separation between leaves (0x00) and interior nodes
// (0x01), so a leaf can never be passed off as an interior node (second-preimage resistance).
// WebCrypto rather than node:crypto, so the portal can verify proofs in the browser.

export const HASH_SIZE = 32;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
}

/** MTH({}) = SHA-256(""), the root of the empty tree. */
export function emptyRoot(): Promise<Uint8Array> {
  return sha256(new Uint8Array(0));
}

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(data: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(1 + data.length);
  input[0] = LEAF_PREFIX;
  input.set(data, 1);
  return sha256(input);
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** Constant-time comparison is not needed here: hashes are public; equality is all we want. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
