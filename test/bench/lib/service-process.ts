import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@tongban/testing';
import { onCleanup, sleep } from './bench.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const OUTPUT_KEPT = 32 * 1024;

export interface ServiceProcess {
  /** `http://127.0.0.1:<port>`. */
  readonly baseUrl: string;
  readonly engine: 'pglite' | 'postgres';
  /** The temporary data folder, or the database's name on the server: removed by stop(). */
  readonly data: string;
  /** The database's URL on the server (engine `postgres`), for a baseline measured beside it. */
  readonly databaseUrl: string | undefined;
  readonly pid: number;
  /** How long spawning took until /readyz answered 200 (migrations, key creation, initdb). */
  readonly startupMs: number;
  /** CPU seconds (user + system) of the process and its children so far, from /proc. */
  cpuSeconds(): number | undefined;
  /** The last 32 KiB of its stdout and stderr. */
  output(): string;
  /** SIGTERM (graceful close), SIGKILL after 15 s, then removes its data. Idempotent. */
  stop(): Promise<void>;
}

export interface ServiceProcessOptions {
  /** Used in messages, and to clear `<SERVICE>_DATABASE_URL` from the inherited environment. */
  readonly service: string;
  /** The script to run with tsx, relative to the repository root. */
  readonly entry: string;
  /** The service's own settings; PORT, HOST, NODE_ENV and the database are set here. */
  readonly env: (baseUrl: string) => Record<string, string>;
  readonly nodeFlags?: readonly string[];
  readonly startTimeoutMs?: number;
  /** Refuse to run on an embedded database (several processes share one database). */
  readonly requireServer?: boolean;
}

/**
 * Starts a service exactly as it runs in production — its own process, configured by
 * environment only — on a free port and a database of its own: a fresh database on the server at
 * DATABASE_URL when that is set, else a temporary embedded data folder.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string | undefined> = { ...process.env };
  // The bench decides where the data goes; an operator's own settings must not leak in.
  for (const name of [
    'DATABASE_URL',
    `${options.service.toUpperCase()}_DATABASE_URL`,
    'TONGBAN_DATA_DIR',
  ])
    delete env[name];
  Object.assign(env, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    // A bench is one client hammering one route; the limiter would measure itself.
    RATE_LIMIT_MAX: '100000000',
    ...options.env(baseUrl),
  });

  let engine: ServiceProcess['engine'];
  let data: string;
  let databaseUrl: string | undefined;
  let removeData: () => Promise<void>;
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (options.requireServer && !serverUrl) {
    throw new Error(`${options.service} needs the PostgreSQL server here: set DATABASE_URL`);
  }
  if (serverUrl) {
    const database = await createTestDatabase({ DATABASE_URL: serverUrl });
    if (database.kind !== 'postgres') throw new Error('expected a database on the server');
    engine = 'postgres';
    data = `database ${database.name}`;
    databaseUrl = database.url;
    env.DATABASE_URL = database.url;
    removeData = () => database.drop();
  } else {
    const dataDir = await mkdtemp(join(tmpdir(), 'tb-bench-'));
    engine = 'pglite';
    data = dataDir;
    env.TONGBAN_DATA_DIR = dataDir;
    removeData = () => rm(dataDir, { recursive: true, force: true });
  }

  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ...(options.nodeFlags ?? []), options.entry],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  // Should the runner itself die, the service must not outlive it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = onCleanup(async () => {
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
    await removeData();
  });

  try {
    await waitReady(baseUrl, () => running, options.startTimeoutMs ?? 120_000);
  } catch (err) {
    await stop();
    throw new Error(
      `${options.service} did not start: ${(err as Error).message}\n${output.slice(-4000)}`,
    );
  }
  const pid = child.pid ?? 0;
  return {
    baseUrl,
    engine,
    data,
    databaseUrl,
    pid,
    startupMs: performance.now() - started,
    cpuSeconds: () => processTreeCpuSeconds(pid),
    output: () => output,
    stop,
  };
}

async function waitReady(baseUrl: string, running: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running()) throw new Error('the process exited');
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`/readyz not 200 within ${timeoutMs} ms`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The process and its children (a cluster's workers). */
function processTreeCpuSeconds(pid: number): number | undefined {
  const own = processCpuSeconds(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) total += processCpuSeconds(Number(entry)) ?? 0;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

// utime and stime are fields 14 and 15 of /proc/<pid>/stat, in clock ticks (100 per second on
// every Linux this runs on); the command name in field 2 may contain spaces, so split after it.
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
