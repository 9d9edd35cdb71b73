export type { ProofEncoding } from './encoding.js';
export {
  decodeProof,
  encodeProof,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
} from './encoding.js';
export type { Frontier } from './frontier.js';
export { appendToFrontier, EMPTY_FRONTIER, frontierRoot } from './frontier.js';
export { emptyRoot, equalBytes, HASH_SIZE, leafHash, nodeHash } from './hash.js';
export type { StoredSubtree, SubtreeRef, SubtreeSource } from './stored.js';
export {
  appendSubtrees,
  consistencyProofRefs,
  foldSubtrees,
  inclusionProofRefs,
  rootRefs,
  storedConsistencyProof,
  storedInclusionProof,
  storedRootHash,
  subtreesOf,
} from './stored.js';
export type { Hash } from './tree.js';
export { consistencyProof, inclusionProof, rootHash } from './tree.js';
export type { ConsistencyInput, InclusionInput } from './verify.js';
export { verifyConsistency, verifyInclusion } from './verify.js';
