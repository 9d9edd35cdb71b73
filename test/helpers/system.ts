import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The built launcher `npm start` runs; the test setup builds it (scripts/build.mjs). */
const LAUNCHER = 'build/start.js';

export interface RunningSystem {
  readonly urls: { portal: string; identity: string; workflow: string; records: string };
  /** The launcher's TONGBAN_DATA_DIR: demo secrets, seeded credentials and any embedded data. */
  readonly dataDir: string;
  readonly process: ChildProcess;
  output(): string;
  /** Sends SIGINT as Ctrl-C would and resolves with the launcher's exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Runs the launcher as `npm start` does, with `env` over the caller's environment, and resolves
 * once it exits on its own — for starts that are meant to be refused before anything runs.
 */
export async function runLauncherToExit(
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [LAUNCHER], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c) => {
    output += c;
  });
  child.stderr?.on('data', (c) => {
    output += c;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, output };
}

/**
 * Runs the same launcher as `npm start`, on free ports and a database of its own: a temporary
 * embedded data folder, or a fresh database on the server at DATABASE_URL.
 */
export async function startSystem(): Promise<RunningSystem> {
  const [portal, identity, workflow, records] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  let db: TestDatabase | undefined;
  // A folder of its own on either engine: with DATABASE_URL it still holds the demo secrets and
  // seeded credentials, which would otherwise land in (and be reused from) the repository's .data.
  const dataDir = await mkdtemp(join(tmpdir(), 'tb-system-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORTAL_PORT: String(portal),
    IDENTITY_PORT: String(identity),
    WORKFLOW_PORT: String(workflow),
    RECORDS_PORT: String(records),
    LOG_LEVEL: 'warn',
    TONGBAN_DATA_DIR: dataDir,
  };
  // On the embedded engine the launcher makes its one cluster in the new folder as a first start
  // does: from the machine's copy of the empty cluster, or by initdb when there is none yet.
  if (process.env.DATABASE_URL) {
    db = await createTestDatabase();
    if (db.kind === 'postgres') env.DATABASE_URL = db.url;
  }
  const child = spawn(process.execPath, [LAUNCHER], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c) => {
    output += c;
  });
  child.stderr?.on('data', (c) => {
    output += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const cleanup = async () => {
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Tongban is running')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`launcher exited with ${code}:\n${output}`));
    });
  }).catch(async (err) => {
    await cleanup();
    throw err;
  });
  const url = (port: number) => `http://127.0.0.1:${port}`;
  return {
    urls: {
      portal: url(portal),
      identity: url(identity),
      workflow: url(workflow),
      records: url(records),
    },
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const code = await exited;
      await cleanup();
      return code;
    },
  };
}
