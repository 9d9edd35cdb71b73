#!/usr/bin/env node
// The root scripts' entry point. A fresh machine has only Node.js and npm, so this file uses
// nothing but Node: it makes sure the pinned pnpm and the locked dependencies are installed,
// then runs the asked command with the workspace's own tools.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliBundleOf, ensureBuild, formatBuildError } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const COMMANDS = {
  // The launcher and the services run as built JavaScript (scripts/build.mjs), rebuilt first
  // when a source changed; no TypeScript is transpiled at start.
  start: () => [[process.execPath, ['build/start.js']]],
  test: () => [[bin('vitest'), ['run']]],
  'test:e2e': () => [[bin('vitest'), ['run', '--config', 'vitest.e2e.config.ts']]],
  // Every workspace, then the root's own scripts and configs.
  typecheck: (pnpm) => [
    [pnpm(), ['-r', '--workspace-concurrency=2', 'run', 'typecheck']],
    [bin('tsc'), ['-p', 'tsconfig.json']],
  ],
  // Import boundaries Biome cannot see (relative paths into another workspace), then Biome.
  lint: () => [
    [process.execPath, ['scripts/check-boundaries.mjs']],
    [bin('biome'), ['check', '--error-on-warnings', '.']],
  ],
  'clients:generate': () => [
    [process.execPath, ['--import', 'tsx', 'scripts/generate-clients.ts']],
  ],
  'clients:check': () => [
    [process.execPath, ['--import', 'tsx', 'scripts/generate-clients.ts', '--check']],
  ],
  bench: () => [[process.execPath, ['--import', 'tsx', 'test/bench/run.ts']]],
  // The demo resident phone (packages/phone): `npm run phone -- activate --code … --identity …`.
  phone: () => [[process.execPath, [cliBundleOf('phone')]]],
  // The offline verifiers (packages/tokens): `npm run tokens -- bundle|verify|verify-record …`.
  tokens: () => [[process.execPath, [cliBundleOf('tokens')]]],
  // Recompute records' access log and check it against its signed heads (exit 1 on the first
  // inconsistency): `npm run access-log:audit [-- --keys <file|URL>] [--json]`.
  'access-log:audit': () => [[process.execPath, [cliBundleOf('access-log-audit')]]],
};

/** The commands that run bundles from scripts/build.mjs. */
const BUILT = new Set(['start', 'phone', 'tokens', 'access-log:audit']);

const [command, ...rest] = process.argv.slice(2);
const makeCommand = COMMANDS[command];
if (!makeCommand) {
  process.stderr.write(
    `usage: node scripts/tongban.mjs <${Object.keys(COMMANDS).join('|')}> [args]\n`,
  );
  process.exit(2);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`Tongban needs Node.js 20.19 or newer; this is ${process.version}.\n`);
  process.exit(1);
}

// pnpm is only looked for when something needs it (asking it its version costs a few hundred
// milliseconds, which a start whose dependencies are current does not pay).
let pnpmBin;
const pnpm = () => (pnpmBin ??= ensurePnpm());
ensureDependencies(pnpm);
// Commands that run built JavaScript build first when a source changed. The tools' own output
// may be piped into a file, so only the launcher's build line goes to stdout.
if (BUILT.has(command)) {
  try {
    await ensureBuild({ root, out: command === 'start' ? process.stdout : process.stderr });
  } catch (err) {
    process.stderr.write(
      `\nBuilding the services failed:\n${formatBuildError(err)}\n${
        command === 'start'
          ? 'Tongban did not start; nothing was started.'
          : `npm run ${command} did not run.`
      }\n`,
    );
    process.exit(1);
  }
}
// Each command is a list of steps; all but the last must succeed, the last gets the extra args.
const steps = makeCommand(pnpm);
for (const [file, args] of steps.slice(0, -1)) run(file, args);
const [file, args] = steps.at(-1);
const child = spawn(file, [...args, ...rest.filter((a) => a !== '--')], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the child through the terminal; a supervisor's SIGTERM is passed on here.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

function ensurePnpm() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
  const version = pinned.split('@')[1];
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: false });
  if (onPath.status === 0 && onPath.stdout.trim() === version) return 'pnpm';
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
  if (!existsSync(local)) {
    process.stderr.write(`Installing pnpm ${version} into .tools/ (once) …\n`);
    run('npm', [
      'install',
      '--prefix',
      join(root, '.tools'),
      '--no-audit',
      '--no-fund',
      `pnpm@${version}`,
    ]);
  }
  return local;
}

// Installs when the lockfile or any manifest changed since the last install on this machine.
function ensureDependencies(pnpmOf) {
  const stampFile = join(root, 'node_modules', '.tongban-install');
  const stamp = manifestHash();
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  process.stderr.write('Installing dependencies from pnpm-lock.yaml …\n');
  run(pnpmOf(), ['install', '--frozen-lockfile']);
  // As a PostgreSQL package runs initdb when it is installed: the embedded engine's empty cluster
  // is made once here, so a start on a new data folder copies it instead (ADR 0018).
  process.stderr.write('Preparing the embedded database engine (once per install) …\n');
  run(process.execPath, [
    join(root, 'packages', 'db', 'scripts', 'empty-cluster.mjs'),
    join(root, 'node_modules', '.cache', 'tongban'),
  ]);
  writeFileSync(stampFile, stamp);
}

function manifestHash() {
  const hash = createHash('sha256');
  const files = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json'];
  for (const group of ['packages', 'services']) {
    for (const name of readdirSync(join(root, group)))
      files.push(join(group, name, 'package.json'));
  }
  files.push(join('test', 'package.json'));
  for (const file of files) {
    const path = join(root, file);
    hash.update(file).update(existsSync(path) ? readFileSync(path) : '');
  }
  return hash.digest('hex');
}

function run(file, args) {
  const result = spawnSync(file, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\`${file} ${args.join(' ')}\` failed\n`);
    process.exit(result.status ?? 1);
  }
}
