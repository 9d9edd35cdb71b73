import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Database, type DatabaseTarget, migrationsFolderFor, openDatabase } from '@tongban/db';
import { createTestDatabase, prepareEmbeddedDataDir, type TestDatabase } from '@tongban/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRecords } from '../src/app.js';
import { type AuditCliIo, runAuditCli } from '../src/audit-cli.js';
import { loadConfig } from '../src/config.js';
import { accessLog } from '../src/db/schema.js';
import {
  asDatabaseAdministrator,
  MANUAL_SEQUENCER,
  manualClock,
  releasedRead,
  sequence,
  staffActor,
  writeEntries,
} from './helpers/access-log.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/** The built command `npm run access-log:audit` starts (the test run's global setup builds it). */
const cli = join(root, 'build', 'access-log-audit.js');

/**
 * Records' database where another process can open it, as the command finds it: a database on
 * the server (RECORDS_DATABASE_URL) or an embedded data folder (TONGBAN_DATA_DIR/records).
 */
interface OnDisk {
  readonly target: DatabaseTarget;
  /** The environment the command runs with. */
  readonly env: Record<string, string>;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function onDisk(dir: string): Promise<OnDisk> {
  let server: TestDatabase | undefined;
  let target: DatabaseTarget;
  let env: Record<string, string>;
  if (process.env.DATABASE_URL?.trim()) {
    server = await createTestDatabase();
    if (server.kind !== 'postgres') throw new Error('expected a server database');
    target = server.target;
    env = { RECORDS_DATABASE_URL: server.url };
  } else {
    const dataDir = join(dir, 'records');
    await prepareEmbeddedDataDir(dataDir);
    target = { kind: 'pglite', dataDir };
    env = { TONGBAN_DATA_DIR: dir };
  }
  return {
    target,
    env,
    open: () =>
      openDatabase({
        service: 'records',
        target,
        migrationsFolder: migrationsFolderFor('records'),
      }),
    drop: async () => {
      await server?.drop();
    },
  };
}

/** `pnpm access-log:audit` as the root script runs it: a process of its own. */
function runCommand(env: Record<string, string>, args: string[] = []) {
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  delete inherited.RECORDS_DATABASE_URL;
  delete inherited.TONGBAN_DATA_DIR;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: root, env: { ...inherited, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('pnpm access-log:audit', { timeout: 180_000 }, () => {
  let dir: string;
  let disk: OnDisk;
  let keysFile: string;
  const clock = manualClock();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tongban-audit-'));
    disk = await onDisk(dir);
    const database = await disk.open();
    await database.migrate();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, process.cwd());
    const { app } = await buildRecords({
      config,
      database,
      masterKey: randomBytes(32),
      clock,
      webhookWorker: false,
      accessLogSequencer: MANUAL_SEQUENCER,
    });
    for (let run = 0; run < 2; run++) {
      for (let i = 0; i < 6; i++) {
        clock.advance(1000);
        await writeEntries(database.db, clock, [
          { actor: staffActor('health', clock), entry: releasedRead(`subject-${i}`) },
        ]);
      }
      await sequence(app);
    }
    // The key history as the service publishes it, for an auditor who brings their own.
    keysFile = join(dir, 'keys.json');
    await writeFile(
      keysFile,
      (await app.inject({ method: 'GET', url: '/v1/access-log/keys' })).body,
    );
    await app.close();
    // The embedded engine has one user at a time: the command opens the folder after us.
    await database.close();
  }, 120_000);
  afterAll(async () => {
    await disk.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 0 with a summary for an untouched log, with the published key history too', async () => {
    const plain = await runCommand(disk.env);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/access log audit: consistent/);
    expect(plain.stdout).toMatch(/entries checked\s+12/);
    expect(plain.stdout).toMatch(/checkpoints\s+2 \(latest size 12\)/);

    const json = await runCommand(disk.env, ['--keys', keysFile, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, entries: 12, checkpoints: 2 });
  });

  it('exits 1 naming the first inconsistency after an entry was deleted', async () => {
    const database = await disk.open();
    const [victim] = await database.db
      .select()
      .from(accessLog)
      .where(eq(accessLog.leafIndex, 7))
      .orderBy(asc(accessLog.leafIndex));
    if (!victim) throw new Error('no entry at leaf 7');
    await asDatabaseAdministrator(database.db, (tx) =>
      tx.delete(accessLog).where(eq(accessLog.id, victim.id)),
    );
    await database.close();

    const res = await runCommand(disk.env);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/access log audit: INCONSISTENT/);
    expect(res.stdout).toMatch(/first problem: leaf_missing at leaf 7/);
    expect(res.stdout).toMatch(/entries checked\s+7/);
  });

  it('exits 2 on a bad argument, an unreadable key history or a missing database', async () => {
    const out: string[] = [];
    const io: AuditCliIo = {
      stdout: (text) => out.push(text),
      stderr: (text) => out.push(text),
      env: disk.env,
      cwd: root,
      readFile: async () => {
        throw new Error('ENOENT');
      },
      fetch: async () => new Response('', { status: 404 }),
    };
    expect(await runAuditCli(['--frobnicate'], io)).toBe(2);
    expect(await runAuditCli(['--keys', '/nowhere/keys.json'], io)).toBe(2);
    expect(await runAuditCli(['--keys', 'http://records.invalid/v1/access-log/keys'], io)).toBe(2);
    const nowhere = { ...io, env: { TONGBAN_DATA_DIR: join(dir, 'absent') } };
    expect(await runAuditCli([], nowhere)).toBe(2);
    expect(out.join('\n')).toMatch(/no records database at/);
  });
});
