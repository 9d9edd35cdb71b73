// How long `npm start` takes and how much memory the running system holds, beside two in-run
// baselines measured on the same machine in the same run:
//
// - a bare Node.js process: spawn → exit of `node -e ""`, and the RSS of an idle node after 1 s;
// - a bare PGlite (plain node, no tsx): PGlite.create + `select 1` on a new data folder (initdb)
//   and on that folder again, each in a process of its own, so the RSS is that process's alone.
//
// `npm start` cold is a new, empty TONGBAN_DATA_DIR: from spawning `npm start` at the repository
// root until its output says "Tongban is running" (the demo city is seeded by then). The first
// cold run is the first start on the machine (no copy of the empty cluster yet: initdb runs); the
// other cold runs fill their new folder from that copy. Warm is the same data folder again. BENCH_START_SETTLE_S after ready, the RSS (and PSS where
// /proc/<pid>/smaps_rollup is readable) of every process in the tree under npm is summed; then the
// tree gets Ctrl-C (SIGINT to npm's process group) as a terminal would send it.
//
// Targets (the issue): cold start < 15 s, warm start < 5 s, the whole tree < 1.5 GiB after the
// seed. A number over its target prints OVER and the bench still succeeds; it breaks only when
// `npm start` does not come up.
//
// Knobs (environment): BENCH_START_RUNS (2: cold and warm runs each), BENCH_START_COLD_RUNS and
// BENCH_START_WARM_RUNS (override it), BENCH_START_PORT (3200: the first of four free ports
// tried upward for PORTAL/IDENTITY/WORKFLOW/RECORDS_PORT), BENCH_START_SETTLE_S (3),
// BENCH_START_READY_S (300: how long to wait for "Tongban is running"). LOG_LEVEL is passed on.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bench, intFromEnv, onCleanup, sleep } from './lib/bench.js';
import { formatColumns, machineInfo, median } from './lib/report.js';

const NAME = 'start';
const root = fileURLToPath(new URL('../..', import.meta.url));
const PGLITE_OPEN = fileURLToPath(new URL('./lib/pglite-open.mjs', import.meta.url));
const READY = 'Tongban is running';
const MiB = 2 ** 20;
const TARGET = { coldMs: 15_000, warmMs: 5_000, rssMiB: 1536 };
/** The ports the main checkout may be using; the bench never takes them. */
const RESERVED = new Set([3000, 3001, 3002, 3003]);
const PORT_VARIABLES = ['PORTAL_PORT', 'IDENTITY_PORT', 'WORKFLOW_PORT', 'RECORDS_PORT'] as const;
/** Bound on Ctrl-C → npm gone; start.ts gives its services 15 s before it kills them. */
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_KEPT = 16 * 1024;

export const bench: Bench = {
  name: NAME,
  summary:
    '`npm start` cold and warm: time to "Tongban is running" and the RSS of the whole process tree, beside bare node and bare PGlite',
  timeoutMs: 45 * 60_000,
  run,
};

interface Proc {
  readonly pid: number;
  readonly command: string;
  readonly rssMiB: number;
  readonly pssMiB: number | undefined;
}

interface StartRun {
  readonly label: string;
  readonly ms: number;
  readonly rssMiB: number;
  /** Undefined when any process's smaps_rollup could not be read. */
  readonly pssMiB: number | undefined;
  readonly processes: readonly Proc[];
  readonly stopMs: number;
  readonly exit: string;
}

async function run(): Promise<void> {
  const runs = intFromEnv('BENCH_START_RUNS', 2);
  const config = {
    cold: intFromEnv('BENCH_START_COLD_RUNS', runs),
    warm: intFromEnv('BENCH_START_WARM_RUNS', runs),
    firstPort: intFromEnv('BENCH_START_PORT', 3200),
    settleMs: intFromEnv('BENCH_START_SETTLE_S', 3) * 1000,
    readyMs: intFromEnv('BENCH_START_READY_S', 300) * 1000,
  };
  const log = (line: string) => process.stdout.write(`  ${line}\n`);
  const machine = machineInfo();
  const scratch = await mkdtemp(join(tmpdir(), 'tongban-bench-start-'));
  const removeScratch = onCleanup(() => rm(scratch, { recursive: true, force: true }));
  try {
    const node = await bareNode();
    log(`bare node: ${ms(node.ms)} spawn → exit, ${mib(node.rssMiB)} idle RSS`);
    const pgDir = join(scratch, 'pglite');
    const pgNew = await barePglite(pgDir);
    const pgReopen = await barePglite(pgDir);
    log(
      `bare PGlite: new folder ${ms(pgNew.ms)} ${mib(pgNew.rssMiB)}, reopen ${ms(pgReopen.ms)} ${mib(pgReopen.rssMiB)}`,
    );

    const ports = await freePorts(config.firstPort, PORT_VARIABLES.length);
    log(`ports: ${PORT_VARIABLES.map((v, i) => `${v}=${ports[i]}`).join(' ')}`);
    const folders: string[] = [];
    // The very first start on a machine also runs initdb (in a process of its own) and leaves a
    // copy of the empty cluster in node_modules/.cache/tongban, from which every later new data
    // folder is filled. That first start is measured with the copy moved aside, then put back.
    const cacheDir = join(root, 'node_modules', '.cache', 'tongban');
    const aside = `${cacheDir}.bench-${process.pid}`;
    const hadCache = existsSync(cacheDir);
    if (hadCache) await rename(cacheDir, aside);
    const restoreCache = onCleanup(async () => {
      if (!hadCache) return;
      await rm(cacheDir, { recursive: true, force: true });
      await rename(aside, cacheDir);
    });
    const firstDir = join(scratch, 'data-first');
    const first = await startOnce(
      'cold, first on this machine (initdb)',
      firstDir,
      ports,
      config,
      log,
    ).finally(restoreCache);
    const cold: StartRun[] = [];
    for (let i = 1; i <= config.cold; i++) {
      const dataDir = join(scratch, `data-${i}`);
      folders.push(dataDir);
      cold.push(await startOnce(`cold #${i}`, dataDir, ports, config, log));
    }
    // Warm runs reopen the cold runs' folders in turn.
    const warm: StartRun[] = [];
    for (let i = 1; i <= config.warm; i++) {
      const dataDir = folders[(i - 1) % folders.length] as string;
      warm.push(await startOnce(`warm #${i}`, dataDir, ports, config, log));
    }

    const baseline = 'baseline';
    const vs = (r: { ms: number; rssMiB: number }, pg: { ms: number; rssMiB: number }) =>
      `time ${times(r.ms / node.ms)} node, ${times(r.ms / pg.ms)} PGlite; RSS ${times(r.rssMiB / node.rssMiB)} node, ${times(r.rssMiB / pg.rssMiB)} PGlite`;
    const verdict = (r: { ms: number; rssMiB: number }, targetMs: number) =>
      `time ${r.ms < targetMs ? 'PASS' : 'OVER'}, RSS ${r.rssMiB < TARGET.rssMiB ? 'PASS' : 'OVER'}`;
    const target = (targetMs: number) => `< ${targetMs / 1000} s, < ${TARGET.rssMiB} MiB`;
    const startRows = (kind: string, list: StartRun[], pg: typeof pgNew, targetMs: number) => {
      const med = {
        ms: median(list.map((r) => r.ms)),
        rssMiB: median(list.map((r) => r.rssMiB)),
        pssMiB: list.every((r) => r.pssMiB !== undefined)
          ? median(list.map((r) => r.pssMiB as number))
          : undefined,
      };
      const row = (label: string, r: typeof med) => [
        label,
        seconds(r.ms),
        r.rssMiB.toFixed(0),
        r.pssMiB === undefined ? 'n/a' : r.pssMiB.toFixed(0),
        target(targetMs),
        verdict(r, targetMs),
        vs(r, pg),
      ];
      return [
        ...list.map((r) => row(`npm start ${r.label}`, r)),
        ...(list.length > 1 ? [row(`npm start ${kind}, median of ${list.length}`, med)] : []),
      ];
    };
    const rows: string[][] = [
      [
        'bare node: node -e "" spawn→exit; idle RSS at 1 s',
        seconds(node.ms),
        node.rssMiB.toFixed(0),
        node.pssMiB === undefined ? 'n/a' : node.pssMiB.toFixed(0),
        baseline,
        '',
        '',
      ],
      [
        'bare PGlite: create + select 1, new folder (initdb)',
        seconds(pgNew.ms),
        pgNew.rssMiB.toFixed(0),
        'n/a',
        baseline,
        '',
        '',
      ],
      [
        'bare PGlite: create + select 1, same folder again',
        seconds(pgReopen.ms),
        pgReopen.rssMiB.toFixed(0),
        'n/a',
        baseline,
        '',
        '',
      ],
      [],
      ...startRows('cold', [first], pgNew, TARGET.coldMs),
      ...startRows('cold', cold, pgNew, TARGET.coldMs),
      [],
      ...startRows('warm', warm, pgReopen, TARGET.warmMs),
    ];
    process.stdout.write(
      `\n${formatColumns(
        `npm start — ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage1m}, commit ${machine.commit}`,
        [
          'what',
          'time (s)',
          'RSS (MiB)',
          'PSS (MiB)',
          'target',
          'verdict',
          'vs baselines (cold: PGlite initdb, warm: reopen)',
        ],
        rows,
        [0, 4, 5, 6],
      )}`,
    );
    process.stdout.write(
      `RSS and PSS of npm start: the whole process tree under npm, ${config.settleMs / 1000} s after "${READY}".\n`,
    );
    for (const r of [first, ...cold, ...warm]) {
      process.stdout.write(
        `\n${r.label}: ${r.processes.length} processes, RSS ${mib(r.rssMiB)}, PSS ${r.pssMiB === undefined ? 'n/a' : mib(r.pssMiB)}; Ctrl-C → every process gone in ${seconds(r.stopMs)} s (npm: ${r.exit})\n`,
      );
      for (const p of r.processes) {
        process.stdout.write(
          `  ${String(p.pid).padStart(7)}  ${p.command.padEnd(58)} ${p.rssMiB.toFixed(0).padStart(5)} MiB\n`,
        );
      }
    }
  } finally {
    await removeScratch();
  }
}

/** Spawn → exit of `node -e ""` (median of 5), and an idle node's RSS after 1 s. */
async function bareNode(): Promise<{ ms: number; rssMiB: number; pssMiB: number | undefined }> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const { code } = await exited(spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }));
    if (code !== 0) throw new Error(`node -e "" exited ${code}`);
    samples.push(performance.now() - t0);
  }
  const idle = spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { stdio: 'ignore' });
  const gone = exited(idle);
  const stop = onCleanup(async () => {
    idle.kill('SIGKILL');
    await gone;
  });
  try {
    await sleep(1000);
    const pid = idle.pid;
    const rss = pid === undefined ? undefined : rssKiB(pid);
    if (pid === undefined || rss === undefined) throw new Error('the idle node is gone');
    const pss = pssKiB(pid);
    return {
      ms: median(samples),
      rssMiB: rss / 1024,
      pssMiB: pss === undefined ? undefined : pss / 1024,
    };
  } finally {
    await stop();
  }
}

/** PGlite.create + `select 1` on `dataDir` in a node process of its own; its time and RSS. */
async function barePglite(dataDir: string): Promise<{ ms: number; rssMiB: number }> {
  const child = spawn(process.execPath, [PGLITE_OPEN, dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const gone = exited(child);
  const stop = onCleanup(async () => {
    child.kill('SIGKILL');
    await gone;
  });
  const { code } = await gone;
  await stop();
  const line = output.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) {
    throw new Error(`pglite-open.mjs ${dataDir} exited ${code}: ${output.slice(-2000)}`);
  }
  const result = JSON.parse(line) as { ms: number; rssBytes: number };
  return { ms: result.ms, rssMiB: result.rssBytes / MiB };
}

/** One `npm start` on `dataDir`: until ready, the tree's memory after settling, then Ctrl-C. */
async function startOnce(
  label: string,
  dataDir: string,
  ports: readonly number[],
  config: { readonly settleMs: number; readonly readyMs: number },
  log: (line: string) => void,
): Promise<StartRun> {
  const env: Record<string, string | undefined> = { ...process.env };
  // The embedded engine in the given folder, in demo mode, exactly as the README starts it.
  for (const name of Object.keys(env)) {
    if (name === 'DATABASE_URL' || name.endsWith('_DATABASE_URL')) delete env[name];
  }
  delete env.NODE_ENV;
  delete env.TONGBAN_SEED;
  env.TONGBAN_DATA_DIR = dataDir;
  PORT_VARIABLES.forEach((variable, i) => {
    env[variable] = String(ports[i]);
  });

  const t0 = performance.now();
  // Its own process group, so Ctrl-C can go to npm and everything in its group at once.
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const npmPid = npm.pid;
  if (npmPid === undefined) throw new Error('npm start did not spawn');
  let output = '';
  let readyAt: number | undefined;
  let onReady = () => {};
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT);
    if (readyAt === undefined && output.includes(READY)) {
      readyAt = performance.now();
      onReady();
    }
  };
  npm.stdout.on('data', keep);
  npm.stderr.on('data', keep);
  const gone = exited(npm);
  // Services run in process groups of their own: remember every pid seen, to kill them all.
  const seen = new Set<number>([npmPid]);
  const killAll = async () => {
    for (const pid of tree(npmPid)) seen.add(pid);
    signalGroup(npmPid, 'SIGKILL');
    for (const pid of seen) signalGroup(pid, 'SIGKILL');
    await Promise.race([gone, sleep(5000)]);
  };
  const cleanup = onCleanup(killAll);

  try {
    const ready = new Promise<void>((resolve) => {
      onReady = resolve;
      if (readyAt !== undefined) resolve();
    });
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      gone.then(() => 'exited' as const),
      sleep(config.readyMs).then(() => 'timeout' as const),
    ]);
    if (outcome !== 'ready' || readyAt === undefined) {
      throw new Error(
        `npm start (${label}) ${outcome === 'exited' ? 'exited' : `did not say "${READY}" within ${config.readyMs / 1000} s`}:\n${output.slice(-4000)}`,
      );
    }
    const startMs = readyAt - t0;

    await sleep(config.settleMs);
    const pids = tree(npmPid);
    for (const pid of pids) seen.add(pid);
    const processes = pids
      .map((pid): Proc | undefined => {
        const rss = rssKiB(pid);
        if (rss === undefined) return undefined;
        const pss = pssKiB(pid);
        return {
          pid,
          command: shortCommand(pid),
          rssMiB: rss / 1024,
          pssMiB: pss === undefined ? undefined : pss / 1024,
        };
      })
      .filter((p): p is Proc => p !== undefined);
    const rssMiB = processes.reduce((a, p) => a + p.rssMiB, 0);
    const pssMiB = processes.every((p) => p.pssMiB !== undefined)
      ? processes.reduce((a, p) => a + (p.pssMiB as number), 0)
      : undefined;

    const s0 = performance.now();
    signalGroup(npmPid, 'SIGINT');
    const stopped = await Promise.race([gone, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
    let exit: string;
    if (stopped === undefined) {
      exit = `!!! still running after ${STOP_TIMEOUT_MS / 1000} s, killed`;
      await killAll();
    } else {
      exit = stopped.signal ? `signal ${stopped.signal}` : `exit code ${stopped.code}`;
    }
    // The next run needs the ports: every process of this one must be gone first.
    const left = await waitGone([...seen], 20_000);
    if (left.length > 0) {
      exit += `; !!! ${left.length} process(es) outlived npm, killed`;
      for (const pid of left) signalGroup(pid, 'SIGKILL');
      await waitGone(left, 5_000);
    }
    const stopMs = performance.now() - s0;
    log(
      `${label}: ready in ${seconds(startMs)} s, ${processes.length} processes, RSS ${mib(rssMiB)}; Ctrl-C: ${exit}`,
    );
    return { label, ms: startMs, rssMiB, pssMiB, processes, stopMs, exit };
  } finally {
    await cleanup();
  }
}

/** `pid` and every descendant, parents first, from the parent pids in /proc/<pid>/stat. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // The command name (field 2) may hold spaces and parentheses: the fields after it follow
    // its last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function rssKiB(pid: number): number | undefined {
  const match = readText(`/proc/${pid}/status`)?.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) : undefined;
}

function pssKiB(pid: number): number | undefined {
  const match = readText(`/proc/${pid}/smaps_rollup`)?.match(/^Pss:\s+(\d+) kB/m);
  return match ? Number(match[1]) : undefined;
}

/** The command line with paths cut to their last part, and the service folder it runs in. */
function shortCommand(pid: number): string {
  const argv = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((a) => a !== '');
  let command = argv.map((a) => (a.includes('/') ? basename(a) : a)).join(' ');
  try {
    const service = readlinkSync(`/proc/${pid}/cwd`).match(/\/services\/([^/]+)$/)?.[1];
    if (service) command = `[${service}] ${command}`;
  } catch {
    // Gone, or not ours to read: the command line alone says enough.
  }
  return command.length > 58 ? `${command.slice(0, 57)}…` : command;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone, or not a group leader.
    }
  }
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const alive = pids.filter(running);
    if (alive.length === 0 || performance.now() > deadline) return alive;
    await sleep(100);
  }
}

/** Exists and is not a zombie (an exited process its parent has not reaped yet). */
function running(pid: number): boolean {
  const stat = readText(`/proc/${pid}/stat`);
  return stat !== undefined && stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}

function exited(
  child: ReturnType<typeof spawn>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
      return;
    }
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** `count` ports from `first` upward that nothing listens on, never 3000-3003. */
async function freePorts(first: number, count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let port = first; ports.length < count; port++) {
    if (port > 65_535) throw new Error(`no ${count} free ports from ${first} up`);
    if (!RESERVED.has(port) && (await portFree(port))) ports.push(port);
  }
  return ports;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      probe.close(() => resolve(true)),
    );
  });
}

const seconds = (ms: number) => (ms / 1000).toFixed(ms < 1000 ? 3 : 1);
const ms = (n: number) => `${seconds(n)} s`;
const mib = (n: number) => `${n.toFixed(0)} MiB`;
const times = (ratio: number) => `${ratio < 10 ? ratio.toFixed(1) : ratio.toFixed(0)}×`;
