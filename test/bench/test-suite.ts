// How long `npm test` takes at this commit beside a baseline commit, both measured in the same
// run on the same machine, taking turns: baseline, this commit, baseline, this commit, … so that
// whatever else changes on the machine while the bench runs falls on both sides alike.
//
// Each side is a git worktree of its commit (HEAD as committed: uncommitted changes are not
// measured) in the temp folder, with its locked dependencies installed from the pnpm store before
// the first run (not timed). A run is `node scripts/tongban.mjs test` in that worktree, which is
// what `npm test` runs, with the same shuffle seed for both sides of a pair. The first pair runs
// on fresh worktrees, so it includes each side's first-run work (building the portal's front end,
// the bundles); the later pairs are repeat runs, as a developer's. Each run's wall time and CPU
// time (user + system of the whole process tree, by GNU time), and its file and test counts from
// vitest's JSON report, are printed; then the medians and the files whose time moved most.
//
// Not part of `npm run bench` without a name (it takes about 12 minutes per pair here): run it as
// `npm run bench -- test-suite`.
//
// Knobs (environment): BENCH_SUITE_BASELINE (the commit to compare with; default HEAD~1),
// BENCH_SUITE_RUNS (3: runs per side), DATABASE_URL (passed on: the suite on PostgreSQL).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Bench, intFromEnv, onCleanup } from './lib/bench.js';
import { formatColumns, machineInfo, median } from './lib/report.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run$ = promisify(execFile);
const GNU_TIME = '/usr/bin/time';

export const bench: Bench = {
  name: 'test-suite',
  summary:
    '`npm test` at HEAD beside a baseline commit, taking turns: wall and CPU time per run, medians, the files that moved',
  timeoutMs: 6 * 60 * 60_000,
  onlyWhenNamed: true,
  run,
};

interface Side {
  readonly label: 'baseline' | 'HEAD';
  readonly commit: string;
  readonly dir: string;
  /** Removes the worktree (also run by the bench runner if the bench is stopped). */
  readonly remove: () => Promise<void>;
}

interface Outcome {
  readonly side: Side['label'];
  readonly pair: number;
  readonly seed: number;
  readonly wallS: number;
  readonly cpuS: number | undefined;
  readonly exitCode: number;
  readonly files: number;
  readonly passed: number;
  readonly failed: number;
  readonly load: number;
  /** Seconds per test file, by its path in the repository. */
  readonly fileSeconds: ReadonlyMap<string, number>;
}

async function git(args: string[], cwd = root): Promise<string> {
  return (await run$('git', args, { cwd, encoding: 'utf8' })).stdout.trim();
}

/** pnpm as the root scripts find it: on the PATH, else the copy `npm start` installed in .tools. */
function pnpmBin(): string {
  const local = join(root, '.tools', 'node_modules', '.bin', 'pnpm');
  try {
    execFileSync('pnpm', ['--version'], { stdio: 'ignore' });
    return 'pnpm';
  } catch {
    if (existsSync(local)) return local;
    throw new Error('pnpm is neither on the PATH nor in .tools/ (run `npm test` once first)');
  }
}

async function worktree(label: Side['label'], ref: string, pnpm: string): Promise<Side> {
  const commit = await git(['rev-parse', '--short', `${ref}^{commit}`]);
  const dir = await mkdtemp(join(tmpdir(), `tb-bench-suite-${label}-`));
  await rm(dir, { recursive: true });
  await git(['worktree', 'add', '--detach', dir, commit]);
  const remove = onCleanup(async () => {
    await git(['worktree', 'remove', '--force', dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  process.stdout.write(`  ${label} ${commit}: installing the locked dependencies (not timed) …\n`);
  await run$(pnpm, ['install', '--frozen-lockfile', '--prefer-offline'], {
    cwd: dir,
    env: { ...process.env, CI: 'true' },
    maxBuffer: 64 * 2 ** 20,
  });
  return { label, commit, dir, remove };
}

interface VitestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly testResults: readonly { name: string; startTime: number; endTime: number }[];
}

async function runSuite(side: Side, pair: number, seed: number): Promise<Outcome> {
  const report = join(side.dir, '.bench-suite-report.json');
  const timing = join(side.dir, '.bench-suite-time.txt');
  await rm(report, { force: true });
  const suite = [
    process.execPath,
    'scripts/tongban.mjs',
    'test',
    `--sequence.seed=${seed}`,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  const timed = existsSync(GNU_TIME);
  const [file, ...args] = timed ? [GNU_TIME, '-f', '%e %U %S', '-o', timing, ...suite] : suite;
  const load = loadavg()[0] ?? 0;
  const started = performance.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn(file as string, args, {
      cwd: side.dir,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
  const wallS = (performance.now() - started) / 1000;
  let cpuS: number | undefined;
  if (timed && existsSync(timing)) {
    const last = readFileSync(timing, 'utf8').trim().split('\n').at(-1) ?? '';
    const [, user, system] = last.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(system)) cpuS = (user ?? 0) + (system ?? 0);
  }
  const parsed: VitestReport | undefined = existsSync(report)
    ? (JSON.parse(readFileSync(report, 'utf8')) as VitestReport)
    : undefined;
  const fileSeconds = new Map(
    (parsed?.testResults ?? []).map((r) => [
      r.name.slice(side.dir.length + 1),
      (r.endTime - r.startTime) / 1000,
    ]),
  );
  return {
    side: side.label,
    pair,
    seed,
    wallS,
    cpuS,
    exitCode,
    files: fileSeconds.size,
    passed: parsed?.numPassedTests ?? 0,
    failed: parsed?.numFailedTests ?? 0,
    load,
    fileSeconds,
  };
}

const s = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(1));

function summary(outcomes: readonly Outcome[], sides: readonly Side[]): string {
  const rows: string[][] = [];
  const medians = new Map<string, { wall: number; cpu: number; repeatWall: number }>();
  for (const side of sides) {
    const mine = outcomes.filter((o) => o.side === side.label);
    const repeat = mine.filter((o) => o.pair > 1);
    const wall = median(mine.map((o) => o.wallS));
    const cpus = mine.flatMap((o) => (o.cpuS === undefined ? [] : [o.cpuS]));
    const cpu = cpus.length > 0 ? median(cpus) : Number.NaN;
    const repeatWall = repeat.length > 0 ? median(repeat.map((o) => o.wallS)) : Number.NaN;
    medians.set(side.label, { wall, cpu, repeatWall });
    rows.push([
      `${side.label} ${side.commit}`,
      String(mine.length),
      s(wall),
      s(Math.min(...mine.map((o) => o.wallS))),
      s(Math.max(...mine.map((o) => o.wallS))),
      Number.isNaN(repeatWall) ? 'n/a' : s(repeatWall),
      Number.isNaN(cpu) ? 'n/a' : s(cpu),
    ]);
  }
  const base = medians.get('baseline');
  const head = medians.get('HEAD');
  const change = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)
      ? 'n/a'
      : `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)} (${(((b - a) / a) * 100).toFixed(1)} %)`;
  rows.push([]);
  rows.push([
    'HEAD − baseline',
    '',
    change(base?.wall, head?.wall),
    '',
    '',
    change(base?.repeatWall, head?.repeatWall),
    change(base?.cpu, head?.cpu),
  ]);
  return formatColumns(
    'Medians (s)',
    ['side', 'runs', 'wall', 'min', 'max', 'wall, repeat runs', 'CPU'],
    rows,
  );
}

/** The files whose median time differs most between the sides, and files only one side has. */
function movers(outcomes: readonly Outcome[], count = 12): string {
  const perSide = (label: Side['label']) => {
    const times = new Map<string, number[]>();
    for (const o of outcomes.filter((x) => x.side === label)) {
      for (const [file, sec] of o.fileSeconds) times.set(file, [...(times.get(file) ?? []), sec]);
    }
    return new Map([...times].map(([file, secs]) => [file, median(secs)]));
  };
  const base = perSide('baseline');
  const head = perSide('HEAD');
  const files = [...new Set([...base.keys(), ...head.keys()])];
  const delta = (f: string) => (head.get(f) ?? 0) - (base.get(f) ?? 0);
  const rows = files
    .sort((a, b) => Math.abs(delta(b)) - Math.abs(delta(a)))
    .slice(0, count)
    .map((f) => [f, s(base.get(f)), s(head.get(f)), `${delta(f) >= 0 ? '+' : ''}${s(delta(f))}`]);
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  rows.push([]);
  rows.push(['all files (sum of medians)', s(sum(base)), s(sum(head)), s(sum(head) - sum(base))]);
  return formatColumns(
    'Files whose time moved most (median seconds per file, as vitest reports it)',
    ['file', 'baseline', 'HEAD', 'change'],
    rows,
  );
}

async function run(): Promise<void> {
  const runs = intFromEnv('BENCH_SUITE_RUNS', 3);
  const baselineRef = process.env.BENCH_SUITE_BASELINE?.trim() || 'HEAD~1';
  const pnpm = pnpmBin();
  const engine = process.env.DATABASE_URL ? 'PostgreSQL at DATABASE_URL' : 'PGlite';
  process.stdout.write(`  npm test on ${engine}, ${runs} runs per side, taking turns\n`);
  const sides = [
    await worktree('baseline', baselineRef, pnpm),
    await worktree('HEAD', 'HEAD', pnpm),
  ];
  try {
    await compare(sides, runs, engine);
  } finally {
    for (const side of sides) await side.remove();
  }
}

async function compare(sides: readonly Side[], runs: number, engine: string): Promise<void> {
  const outcomes: Outcome[] = [];
  const rows: string[][] = [];
  for (let pair = 1; pair <= runs; pair++) {
    const seed = 1000 + pair;
    for (const side of sides) {
      const o = await runSuite(side, pair, seed);
      outcomes.push(o);
      const row = [
        String(pair),
        `${side.label} ${side.commit}`,
        String(seed),
        s(o.wallS),
        s(o.cpuS),
        String(o.files),
        `${o.passed}/${o.failed}`,
        o.load.toFixed(2),
        o.exitCode === 0 ? 'passed' : `exit ${o.exitCode}`,
      ];
      rows.push(row);
      process.stdout.write(`  ${row.join('  ')}\n`);
    }
  }
  const machine = machineInfo();
  process.stdout.write(
    `\n${formatColumns(
      `npm test (${engine}) — ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}`,
      ['pair', 'side', 'seed', 'wall s', 'CPU s', 'files', 'passed/failed', 'load', 'result'],
      rows,
      [1],
    )}\n${summary(outcomes, sides)}\n${movers(outcomes)}`,
  );
  const broken = outcomes.filter((o) => o.exitCode !== 0);
  if (broken.length > 0) {
    process.stdout.write(
      `${broken.length} run(s) did not pass: their times are not comparable and are shown as measured.\n`,
    );
  }
}
