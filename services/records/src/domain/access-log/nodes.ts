import type { Db } from '@tongban/db';
import type { SubtreeRef, SubtreeSource } from '@tongban/merkle-log';
import { storedSubtrees } from '../../db/queries/access-log.js';

const keyOf = (ref: SubtreeRef) => `${ref.level}:${ref.index}`;

/**
 * The tree's stored subtrees as a proof builder reads them: one query per root or proof. A
 * subtree the table lacks is an error, never a made-up hash: a checkpoint promises its nodes.
 */
export function nodeSource(db: Db): SubtreeSource {
  return async (refs) => lookup(await storedSubtrees(db, refs), refs);
}

/** A source over subtrees already read (many proofs from one query). */
export function preloadedSource(found: ReadonlyMap<string, Uint8Array>): SubtreeSource {
  return async (refs) => lookup(found, refs);
}

function lookup(found: ReadonlyMap<string, Uint8Array>, refs: readonly SubtreeRef[]) {
  return refs.map((ref) => {
    const hash = found.get(keyOf(ref));
    if (!hash) throw new Error(`access-log node ${keyOf(ref)} is not stored`);
    return hash;
  });
}
