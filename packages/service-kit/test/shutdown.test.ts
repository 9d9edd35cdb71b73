import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  prepareEmbeddedDataDir,
  type TestDatabase,
} from '@tongban/test-database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // agent: false — a new connection per request, as separate clients would make.
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until the condition holds; the bound is generous because the machine may be busy. */
async function until(condition: () => boolean | Promise<boolean>, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('graceful shutdown of a service process', () => {
  let db: TestDatabase | undefined;
  let dataDir: string | undefined;
  let child: ChildProcess;
  let base: string;
  let startedSlow = 0;

  beforeAll(async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      // Far beyond anything the test waits for: the grace period is not what is under test.
      SHUTDOWN_GRACE_MS: '120000',
    };
    if (process.env.DATABASE_URL) {
      db = await createTestDatabase();
      if (db.kind === 'postgres') env.DATABASE_URL = db.url;
    } else {
      dataDir = await mkdtemp(join(tmpdir(), 'tb-shutdown-'));
      // A cluster from the shared dump: the process under test reopens it instead of paying
      // initdb inside this hook.
      await prepareEmbeddedDataDir(join(dataDir, 'kitslow'));
      env.TONGBAN_DATA_DIR = dataDir;
    }
    child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string };
      if (entry.msg === 'slow request started') startedSlow += 1;
    });
    base = await new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        const address = (JSON.parse(line) as { address?: string }).address;
        if (address) resolve(address);
      });
      child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('finishes in-flight requests, refuses new connections and exits 0 on SIGTERM', async () => {
    expect((await get(`${base}/readyz`)).status).toBe(200);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );

    const inFlight = [get(`${base}/slow`), get(`${base}/slow`), get(`${base}/slow`)];
    await until(() => startedSlow === 3);
    child.kill('SIGTERM');
    // New connections are refused while the three requests are still held open.
    await until(async () => {
      try {
        await get(`${base}/healthz`);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      }
    });
    expect(child.exitCode).toBeNull();
    child.stdin?.end('release\n');
    const results = await Promise.all(inFlight);
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ done: true });
    }
    expect(await exited).toBe(0);
  });
});
