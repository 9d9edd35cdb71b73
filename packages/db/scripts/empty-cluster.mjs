#!/usr/bin/env node
// Makes an empty PostgreSQL cluster with the embedded engine, in a process of its own: initdb
// grows the engine's WebAssembly memory to several hundred MiB, which a process never gives back.
//
//   node empty-cluster.mjs <cache folder> [<data folder>]
//
// Writes a copy of the empty cluster to <cache folder>/pglite-<version>-empty-cluster.tar (whole,
// then renamed, so a concurrent reader sees all of it or none), from which a new data folder is
// filled in about a second instead of running initdb again. With a data folder, the cluster is
// made there as well. Plain Node: the launcher's installer step runs it before anything is built.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const [cacheFolder, dataDir] = process.argv.slice(2);
if (!cacheFolder) {
  process.stderr.write('usage: node empty-cluster.mjs <cache folder> [<data folder>]\n');
  process.exit(2);
}
// The engine exports no package.json; its entry point sits in dist/ beside it.
const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
const file = join(cacheFolder, `pglite-${version}-empty-cluster.tar`);

const db = dataDir ? new PGlite(dataDir) : new PGlite();
await db.waitReady;
const dump = Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer());
await db.close();
mkdirSync(cacheFolder, { recursive: true });
const partial = `${file}.${process.pid}`;
writeFileSync(partial, dump);
renameSync(partial, file);
