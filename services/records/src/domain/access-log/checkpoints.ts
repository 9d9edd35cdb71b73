import type { Actor } from '@tongban/auth';
import { encodeProof, storedConsistencyProof, toBase64Url } from '@tongban/merkle-log';
import type { RequestContext } from '@tongban/service-kit';
import { type CheckpointRow, checkpointAt, latestCheckpoint } from '../../db/queries/access-log.js';
import { problem } from '../../errors.js';
import { nodeSource } from './nodes.js';

type PublicContext = RequestContext<Actor | undefined>;

function toCheckpoint(row: CheckpointRow) {
  return {
    treeSize: row.treeSize,
    rootHash: toBase64Url(row.rootHash),
    jws: row.jws,
    createdAt: row.createdAt.toISOString(),
  };
}

const unavailable = (detail: string) => problem('tree_size_unavailable', detail);

/** The latest signed head: hashes and a signature, never an entry. */
export async function getLatestCheckpoint({ ctx }: { ctx: PublicContext }) {
  const row = await latestCheckpoint(ctx.db);
  if (!row) throw unavailable('The access log has no signed checkpoint yet.');
  return toCheckpoint(row);
}

export async function getCheckpoint({
  ctx,
  input,
}: {
  ctx: PublicContext;
  input: { treeSize: number };
}) {
  const row = await checkpointAt(ctx.db, input.treeSize);
  if (!row) throw unavailable(`No checkpoint was signed for tree size ${input.treeSize}.`);
  return toCheckpoint(row);
}

/**
 * The RFC 9162 consistency proof between two signed sizes, from stored subtrees: anyone holding
 * the older head checks that the newer tree extends it, entry for entry.
 */
export async function getConsistencyProof({
  ctx,
  input,
}: {
  ctx: PublicContext;
  input: { from: number; to: number };
}) {
  const { from, to } = input;
  if (from > to) throw unavailable(`Size ${from} is after size ${to}.`);
  const [older, newer] = await Promise.all([checkpointAt(ctx.db, from), checkpointAt(ctx.db, to)]);
  if (!older) throw unavailable(`No checkpoint was signed for tree size ${from}.`);
  if (!newer) throw unavailable(`No checkpoint was signed for tree size ${to}.`);
  const proof = await storedConsistencyProof(nodeSource(ctx.db), from, to);
  return { from, to, proof: encodeProof(proof, 'base64url') };
}
