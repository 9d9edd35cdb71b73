import { createHash } from 'node:crypto';
import {
  appendToFrontier,
  EMPTY_FRONTIER,
  frontierRoot,
  inclusionProof,
  leafHash,
  verifyInclusion,
} from '@tongban/merkle-log';
import { type Bench, intFromEnv } from './lib/bench.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';

/*
 * Issue 8, acceptance 5: at 1,000,000 access-log entries an inclusion proof is at most 20 hashes
 * and verifies in under 5 ms. The resident's browser does this verification, so it is measured
 * through the same WebCrypto code, beside the floor of the same number of SHA-256 compressions
 * done synchronously with node:crypto in the same run.
 */
const VERIFY_TARGET_MS = 5;

export const bench: Bench = {
  name: 'merkle-proof',
  summary: 'inclusion proofs of the access log at 1,000,000 entries: length and verify time',
  timeoutMs: 15 * 60_000,
  async run() {
    const size = intFromEnv('BENCH_MERKLE_ENTRIES', 1_000_000);
    const rounds = intFromEnv('BENCH_MERKLE_VERIFICATIONS', 2_000);
    const machine = machineInfo();

    const builtAt = performance.now();
    const leaves: Uint8Array[] = new Array(size);
    let frontier = EMPTY_FRONTIER;
    const batch: Uint8Array[] = [];
    for (let i = 0; i < size; i++) {
      const leaf = await leafHash(new TextEncoder().encode(`entry ${i}`));
      leaves[i] = leaf;
      batch.push(leaf);
      if (batch.length === 10_000 || i === size - 1) {
        frontier = await appendToFrontier(frontier, batch.splice(0));
      }
    }
    const root = await frontierRoot(frontier);
    const buildMs = performance.now() - builtAt;

    // First, middle and last entries: the proofs of a non-power-of-two tree differ in length.
    const indices = [0, Math.floor(size / 2), size - 1];
    const proofs = [];
    for (const index of indices) {
      proofs.push({ index, proof: await inclusionProof(leaves, index, size) });
    }
    for (const { index, proof } of proofs) {
      const leaf = leaves[index] as Uint8Array;
      if (!(await verifyInclusion({ leafHash: leaf, index, treeSize: size, proof, root }))) {
        throw new Error(`the proof of entry ${index} does not verify`);
      }
    }
    const longest = Math.max(...proofs.map((p) => p.proof.length));

    const verifyStart = performance.now();
    for (let r = 0; r < rounds; r++) {
      const { index, proof } = proofs[r % proofs.length] as (typeof proofs)[number];
      await verifyInclusion({
        leafHash: leaves[index] as Uint8Array,
        index,
        treeSize: size,
        proof,
        root,
      });
    }
    const verifyMs = (performance.now() - verifyStart) / rounds;

    // The floor: the same number of node hashes, synchronously, no proof logic.
    const floorStart = performance.now();
    for (let r = 0; r < rounds; r++) {
      let h = leaves[0] as Uint8Array;
      for (const sibling of (proofs[0] as (typeof proofs)[number]).proof) {
        h = createHash('sha256').update(Uint8Array.of(1)).update(h).update(sibling).digest();
      }
    }
    const floorMs = (performance.now() - floorStart) / rounds;

    const rows: Row[] = [
      ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
      ['node', machine.node, machine.platform],
      ['load average (1 min)', String(machine.loadAverage1m), 'noisy when other work runs'],
      [''],
      ['entries', fmt.int(size), `built in ${fmt.s(buildMs)} (leaf hashes and the frontier root)`],
      ['longest inclusion proof', `${longest} hashes`, 'target ≤ 20'],
      [''],
      ['verifyInclusion (WebCrypto)', fmt.ms(verifyMs), `mean of ${fmt.int(rounds)}`],
      ['floor: same hashes, node:crypto', fmt.ms(floorMs), 'synchronous, no proof logic'],
      [
        'verify time against target',
        verifyMs < VERIFY_TARGET_MS ? 'PASS' : 'BELOW',
        `target < ${VERIFY_TARGET_MS} ms per proof`,
      ],
      ['proof length against target', longest <= 20 ? 'PASS' : 'BELOW', ''],
    ];
    process.stdout.write(`\n${formatTable(`merkle-proof (${machine.node})`, rows)}`);
    await writeJson(new URL('./results/merkle-proof.json', import.meta.url).pathname, {
      machine,
      size,
      rounds,
      longestProof: longest,
      verifyMs,
      floorMs,
      buildMs,
    });
  },
};
