// Run by start.ts in a process of its own, with plain node (no tsx), so the RSS it reports is that
// of a bare PGlite and nothing else: `node pglite-open.mjs <dataDir>` opens (or, in an empty
// folder, initialises) the data folder, runs `select 1`, and prints one JSON line.
import { PGlite } from '@electric-sql/pglite';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: node pglite-open.mjs <dataDir>\n');
  process.exit(2);
}
const t0 = performance.now();
const db = await PGlite.create({ dataDir });
const { rows } = await db.query('select 1 as one');
const ms = performance.now() - t0;
if (rows[0]?.one !== 1) throw new Error(`select 1 returned ${JSON.stringify(rows)}`);
const rssBytes = process.memoryUsage().rss;
await db.close();
process.stdout.write(`${JSON.stringify({ ms, rssBytes })}\n`);
