import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

export interface IdentityService {
  /** `http://127.0.0.1:<port>`: also the only public URL, so device proofs name it as `htu`. */
  readonly baseUrl: string;
  readonly engine: 'pglite' | 'postgres';
  /** The temporary data folder, or the database's name on the server: removed by stop(). */
  readonly data: string;
  readonly pid: number;
  readonly adminPassword: string;
  /** How long spawning took until /readyz answered 200 (migrations, key creation, initdb). */
  readonly startupMs: number;
  /** Processes serving requests (node:cluster workers behind the one port, or 1). */
  readonly workers: number;
  /** CPU seconds (user + system) the process has used so far, from /proc; undefined elsewhere. */
  cpuSeconds(): number | undefined;
  /** The last 32 KiB of its stdout and stderr. */
  output(): string;
  /** SIGTERM (graceful close), SIGKILL after 15 s, then removes its data. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra Node flags for the service process, e.g. `--cpu-prof`. */
  readonly nodeFlags?: readonly string[];
  readonly startTimeoutMs?: number;
  /**
   * Worker processes behind one port (node:cluster, lib/identity-cluster.ts). More than one needs
   * the PostgreSQL server at DATABASE_URL: an embedded database belongs to one process.
   */
  readonly workers?: number;
}

/**
 * Starts identity exactly as it runs in production — its own process, `server.ts`, configured by
 * environment only — on a free port and a database of its own: a fresh database on the server at
 * DATABASE_URL when that is set, else a temporary embedded data folder.
 */
export async function startIdentity(options: StartOptions = {}): Promise<IdentityService> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const adminPassword = randomBytes(18).toString('base64url');
  const env: Record<string, string | undefined> = { ...process.env };
  // The bench decides where the data goes; an operator's own settings must not leak in.
  for (const name of ['DATABASE_URL', 'IDENTITY_DATABASE_URL', 'TONGBAN_DATA_DIR'])
    delete env[name];
  Object.assign(env, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    IDENTITY_MASTER_KEY: randomBytes(32).toString('base64url'),
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    IDENTITY_PUBLIC_URLS: baseUrl,
    WEBAUTHN_RP_ID: 'localhost',
    WEBAUTHN_ORIGINS: 'https://localhost:3000',
    // The bench is one client hammering one route; the limiter would measure itself.
    RATE_LIMIT_MAX: '100000000',
  });

  let engine: IdentityService['engine'];
  let data: string;
  let removeData: () => Promise<void>;
  const serverUrl = process.env.DATABASE_URL?.trim();
  const workers = options.workers ?? 1;
  if (workers > 1 && !serverUrl) {
    throw new Error('several identity workers share one database: set DATABASE_URL');
  }
  env.IDENTITY_WORKERS = String(workers);
  if (serverUrl) {
    const database = await createTestDatabase({ DATABASE_URL: serverUrl });
    if (database.kind !== 'postgres') throw new Error('expected a database on the server');
    engine = 'postgres';
    data = `database ${database.name}`;
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
    [
      '--import',
      'tsx',
      ...(options.nodeFlags ?? []),
      workers > 1 ? 'test/bench/lib/identity-cluster.ts' : 'services/identity/src/server.ts',
    ],
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
    throw new Error(`identity did not start: ${(err as Error).message}\n${output.slice(-4000)}`);
  }
  const pid = child.pid ?? 0;
  return {
    baseUrl,
    engine,
    data,
    pid,
    adminPassword,
    startupMs: performance.now() - started,
    workers,
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The process and its children (the cluster's workers). */
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
