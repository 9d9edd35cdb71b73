import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@tongban/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { masterKeyFromEnv, resolveMasterKey } from '../src/index.js';

describe('masterKeyFromEnv', () => {
  it('refuses production without the variable, naming it', () => {
    const attempt = () =>
      masterKeyFromEnv({ variable: 'RECORDS_MASTER_KEY', value: undefined, env: 'production' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/RECORDS_MASTER_KEY: required in production/);
  });

  it('lets development and tests run without one', () => {
    expect(masterKeyFromEnv({ variable: 'X_MASTER_KEY', value: undefined, env: 'test' })).toBe(
      undefined,
    );
    expect(masterKeyFromEnv({ variable: 'X_MASTER_KEY', value: '', env: 'development' })).toBe(
      undefined,
    );
  });

  it('decodes base64url and base64 alike, and refuses a short or garbled key by name', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('base64url'), key.toString('base64')]) {
      expect(
        masterKeyFromEnv({ variable: 'X_MASTER_KEY', value: text, env: 'production' }),
      ).toEqual(key);
    }
    for (const text of [randomBytes(16).toString('base64url'), `${'*'.repeat(44)}`]) {
      expect(() =>
        masterKeyFromEnv({ variable: 'X_MASTER_KEY', value: text, env: 'production' }),
      ).toThrow(/X_MASTER_KEY: must be base64url or base64 of at least 32 bytes/);
    }
  });
});

describe('resolveMasterKey', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tongban-keys-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const resolveDemo = (notices: string[], service = 'records') =>
    resolveMasterKey({
      service,
      variable: `${service.toUpperCase()}_MASTER_KEY`,
      configured: undefined,
      env: 'development',
      dataDir,
      notice: (line) => notices.push(line),
    });

  it('returns the configured key and writes nothing', async () => {
    const key = randomBytes(32);
    const notices: string[] = [];
    await expect(
      resolveMasterKey({
        service: 'records',
        variable: 'RECORDS_MASTER_KEY',
        configured: key,
        env: 'production',
        dataDir,
        notice: (line) => notices.push(line),
      }),
    ).resolves.toEqual(key);
    await expect(stat(join(dataDir, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(notices).toEqual([]);
  });

  it('generates a demo key once (mode 0600), tells the operator, and reuses it on the next start', async () => {
    const notices: string[] = [];
    const first = await resolveDemo(notices);
    expect(first).toHaveLength(32);
    const file = join(dataDir, 'secrets', 'records-master.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('RECORDS_MASTER_KEY');
    expect(notices[0]).toContain(file);

    const again = await resolveDemo(notices);
    expect(again).toEqual(first);
    expect(notices).toHaveLength(1);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url')).toEqual(first);
  });

  it('agrees on one key when several processes start at once', async () => {
    const notices: string[] = [];
    const keys = await Promise.all(Array.from({ length: 8 }, () => resolveDemo(notices)));
    for (const key of keys) expect(key).toEqual(keys[0]);
    expect(notices).toHaveLength(1);
  });

  it('gives each service its own file', async () => {
    const records = await resolveDemo([], 'records');
    const workflow = await resolveDemo([], 'workflow');
    expect(workflow).not.toEqual(records);
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    await resolveDemo([]);
    await writeFile(join(dataDir, 'secrets', 'records-master.key'), 'short');
    await expect(resolveDemo([])).rejects.toThrow(/records-master\.key: must be base64url/);
  });

  it('never generates a key in production', async () => {
    await expect(
      resolveMasterKey({
        service: 'workflow',
        variable: 'WORKFLOW_MASTER_KEY',
        configured: undefined,
        env: 'production',
        dataDir,
        notice: () => {},
      }),
    ).rejects.toThrow(/WORKFLOW_MASTER_KEY: required in production/);
  });
});
