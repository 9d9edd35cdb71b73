import { type Database, migrationsFolderFor, openDatabase } from '@tongban/db';
import {
  encodeProof,
  inclusionProofRefs,
  leafHash,
  type SubtreeRef,
  type SubtreeSource,
  storedConsistencyProof,
  storedInclusionProof,
  storedRootHash,
  verifyConsistency,
  verifyInclusion,
} from '@tongban/merkle-log';
import { createTestDatabase } from '@tongban/testing';
import { sql } from 'drizzle-orm';
import { type Bench, intFromEnv, onCleanup } from './lib/bench.js';
import { fmt, formatTable, machineInfo, type Row, writeJson } from './lib/report.js';

/*
 * The access log's proofs as records serves them: from the perfect subtrees stored in
 * records.access_log_nodes, at 1,000,000 entries, in a real records database (embedded
 * PostgreSQL, or the server at DATABASE_URL). The tree is built inside the database with SQL
 * (sha256 of 0x00 ‖ "entry i" for the leaves, 0x01 ‖ left ‖ right level by level), so the
 * build measures nothing of ours; what is measured is one proof: the query for its O(log n)
 * stored hashes, folding them, and verifying it as a resident's browser does (WebCrypto).
 */
const VERIFY_TARGET_MS = 5;
const MAX_PROOF = 20;

function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

async function buildTree(database: Database, size: number): Promise<number> {
  const { db } = database;
  await db.execute(sql`
    insert into records.access_log_nodes (level, index, hash)
    select 0, i, sha256('\\x00'::bytea || convert_to('entry ' || i, 'UTF8'))
    from generate_series(0, ${size - 1}::bigint) as i`);
  let rows = size;
  let level = 0;
  while (rows > 1) {
    const result = await db.execute(sql`
      insert into records.access_log_nodes (level, index, hash)
      select ${level + 1}::integer, l.index / 2, sha256('\\x01'::bytea || l.hash || r.hash)
      from records.access_log_nodes l
      join records.access_log_nodes r on r.level = l.level and r.index = l.index + 1
      where l.level = ${level}::integer and l.index % 2 = 0
      returning 1`);
    rows = rowsOf(result).length;
    level += 1;
  }
  return level;
}

/** The source records uses: one query for every stored subtree a proof needs. */
function nodeSource(database: Database, reads: { rows: number; queries: number }): SubtreeSource {
  return async (refs: readonly SubtreeRef[]) => {
    const wanted = sql.join(
      refs.map((r) => sql`(${r.level}::integer, ${r.index}::bigint)`),
      sql`, `,
    );
    const result = await database.db.execute(sql`
      select level, index, hash from records.access_log_nodes
      where (level, index) in (${wanted})`);
    const found = new Map(
      rowsOf<{ level: number; index: string | number; hash: Uint8Array }>(result).map((row) => [
        `${row.level}:${Number(row.index)}`,
        new Uint8Array(row.hash),
      ]),
    );
    reads.rows += found.size;
    reads.queries += 1;
    return refs.map((r) => {
      const hash = found.get(`${r.level}:${r.index}`);
      if (!hash) throw new Error(`node ${r.level}:${r.index} is not stored`);
      return hash;
    });
  };
}

export const bench: Bench = {
  name: 'access-log-proof',
  summary:
    'inclusion and consistency proofs from records’ stored subtrees at 1,000,000 entries: length, rows read, build and verify time',
  timeoutMs: 20 * 60_000,
  async run() {
    const size = intFromEnv('BENCH_ACCESS_LOG_ENTRIES', 1_000_000);
    const rounds = intFromEnv('BENCH_ACCESS_LOG_PROOFS', 300);
    const machine = machineInfo();
    const target = await createTestDatabase();
    const database = await openDatabase({
      service: 'records',
      target: target.target,
      migrationsFolder: migrationsFolderFor('records'),
    });
    const cleanup = onCleanup(async () => {
      await database.close();
      await target.drop();
    });
    try {
      await database.migrate();
      const builtAt = performance.now();
      const levels = await buildTree(database, size);
      const buildMs = performance.now() - builtAt;

      const reads = { rows: 0, queries: 0 };
      const source = nodeSource(database, reads);
      const rootAt = performance.now();
      const root = await storedRootHash(source, size);
      const rootMs = performance.now() - rootAt;

      // First, middle and last entries, and a spread between: the right edge of a
      // non-power-of-two tree gives the proofs different lengths.
      const indices = Array.from({ length: rounds }, (_, r) =>
        r < 3
          ? ([0, Math.floor(size / 2), size - 1][r] ?? 0)
          : Math.floor((r * 7919 * 104729) % size),
      );
      const leaves = new Map<number, Uint8Array>();
      for (const index of new Set(indices)) {
        leaves.set(index, await leafHash(new TextEncoder().encode(`entry ${index}`)));
      }

      reads.rows = 0;
      reads.queries = 0;
      let longest = 0;
      let mostRows = 0;
      const proofs: { index: number; proof: Uint8Array[] }[] = [];
      const buildStart = performance.now();
      for (const index of indices) {
        const proof = await storedInclusionProof(source, index, size);
        longest = Math.max(longest, proof.length);
        mostRows = Math.max(mostRows, inclusionProofRefs(index, size).length);
        proofs.push({ index, proof });
      }
      const proofMs = (performance.now() - buildStart) / rounds;
      const rowsPerProof = reads.rows / rounds;

      const verifyStart = performance.now();
      for (const { index, proof } of proofs) {
        const leaf = leaves.get(index) as Uint8Array;
        if (!(await verifyInclusion({ leafHash: leaf, index, treeSize: size, proof, root }))) {
          throw new Error(`the stored proof of entry ${index} does not verify`);
        }
      }
      const verifyMs = (performance.now() - verifyStart) / rounds;

      // A resident who saw the log at a little over half its size checks it grew honestly.
      const oldSize = Math.floor(size / 2) + 7;
      const consistencyStart = performance.now();
      const oldRoot = await storedRootHash(source, oldSize);
      const consistency = await storedConsistencyProof(source, oldSize, size);
      const consistencyMs = performance.now() - consistencyStart;
      if (
        !(await verifyConsistency({
          oldSize,
          newSize: size,
          oldRoot,
          newRoot: root,
          proof: consistency,
        }))
      ) {
        throw new Error('the stored consistency proof does not verify');
      }
      const jsonBytes = JSON.stringify(encodeProof(proofs[2]?.proof ?? [], 'base64url')).length;

      const rows: Row[] = [
        ['machine', `${machine.cores} cores`, `${machine.cpu}, ${machine.memoryGiB} GiB`],
        ['node', machine.node, machine.platform],
        ['database', database.engine, 'records.access_log_nodes, records’ migrations'],
        ['load average (1 min)', String(machine.loadAverage1m), 'noisy when other work runs'],
        [''],
        ['entries', fmt.int(size), `${levels + 1} levels built in SQL in ${fmt.s(buildMs)}`],
        ['root from stored subtrees', fmt.ms(rootMs), 'one query, one row per set bit of the size'],
        ['longest inclusion proof', `${longest} hashes`, `target ≤ ${MAX_PROOF}`],
        ['stored rows per proof', rowsPerProof.toFixed(1), `at most ${mostRows}, one query`],
        ['inclusion proof from storage', fmt.ms(proofMs), `mean of ${fmt.int(rounds)}`],
        ['verifyInclusion (WebCrypto)', fmt.ms(verifyMs), `mean of ${fmt.int(rounds)}`],
        ['proof as JSON (last entry)', `${jsonBytes} bytes`, 'base64url hashes'],
        [
          'consistency proof from storage',
          fmt.ms(consistencyMs),
          `${fmt.int(oldSize)} → ${fmt.int(size)}: ${consistency.length} hashes, both roots`,
        ],
        [''],
        [
          'proof length against target',
          longest <= MAX_PROOF ? 'PASS' : 'BELOW',
          `≤ ${MAX_PROOF} hashes`,
        ],
        [
          'verify time against target',
          verifyMs < VERIFY_TARGET_MS ? 'PASS' : 'BELOW',
          `< ${VERIFY_TARGET_MS} ms per proof`,
        ],
      ];
      process.stdout.write(`\n${formatTable(`access-log-proof (${machine.node})`, rows)}`);
      await writeJson(new URL('./results/access-log-proof.json', import.meta.url).pathname, {
        machine,
        engine: database.engine,
        size,
        rounds,
        buildMs,
        rootMs,
        longestProof: longest,
        rowsPerProof,
        proofMs,
        verifyMs,
        consistencyMs,
        consistencyLength: consistency.length,
      });
    } finally {
      await cleanup();
    }
  },
};
