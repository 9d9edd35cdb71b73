import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, prepareEmbeddedDataDir, type TestDatabase } from '@tongban/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBundleOf } from '../../scripts/build.mjs';
import { seedDemoCity } from '../../scripts/seed/seed.js';
import { freePort } from '../helpers/system.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One command as a developer types it (`npm run phone -- …` runs exactly this). */
function run(file: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [file, ...args],
      { cwd: root, env: { ...process.env, NODE_ENV: 'development' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}
// The built CLIs `npm run phone` and `npm run tokens` start (the test run's global setup builds them).
const phone = (...args: string[]) => run(cliBundleOf('phone'), args);
const verifier = (...args: string[]) => run(cliBundleOf('tokens'), args);

/** The demo city as `npm start` seeds it, on identity alone (no other service is needed here). */
describe('the demo phone walks the identity flow (README "Walk the QR flow with the demo phone")', () => {
  let identity: ChildProcess;
  let identityUrl: string;
  let dir: string;
  let db: TestDatabase | undefined;
  let output = '';
  let activationCode: string;
  let secondCode: string;
  const staffPassword = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tb-phone-'));
    const port = await freePort();
    identityUrl = `http://127.0.0.1:${port}`;
    const adminPassword = randomBytes(18).toString('base64url');
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
      IDENTITY_PUBLIC_URLS: identityUrl,
      TONGBAN_DATA_DIR: join(dir, 'data'),
    };
    if (process.env.DATABASE_URL) {
      db = await createTestDatabase();
      if (db.kind === 'postgres') env.DATABASE_URL = db.url;
    } else {
      await mkdir(join(dir, 'data'), { recursive: true });
      await prepareEmbeddedDataDir(join(dir, 'data', 'identity'));
    }
    // The service's bundle, as npm start and the image run it (the test run's global setup builds it).
    identity = spawn(process.execPath, ['build/server.js'], {
      cwd: join(root, 'services', 'identity'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    identity.stdout?.on('data', (c) => {
      output += c;
    });
    identity.stderr?.on('data', (c) => {
      output += c;
    });
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (identity.exitCode !== null) throw new Error(`identity exited:\n${output}`);
      const ready = await fetch(`${identityUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`identity did not become ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const report = await seedDemoCity({ identityUrl, adminPassword, staffPassword });
    const zhang = report.activationCodes.find((a) => a.fullName === '张伟');
    if (!zhang) throw new Error('the demo seed made no activation code for 张伟');
    activationCode = zhang.code;
    const li = report.activationCodes.find((a) => a.fullName === '李娜');
    if (!li) throw new Error('the demo seed made no activation code for 李娜');
    secondCode = li.code;
  }, 180_000);

  afterAll(async () => {
    if (identity && identity.exitCode === null) {
      const exited = new Promise((r) => identity.once('exit', r));
      identity.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('activates, shows a QR code the counter verifies once, and lists that verification', async () => {
    const device = join(dir, 'device.json');
    const qr = join(dir, 'presentation-qr.png');

    // 1. The phone activates with the code from the counter's letter.
    const activated = await phone(
      'activate',
      '--code',
      activationCode,
      '--identity',
      identityUrl,
      '--device',
      device,
    );
    expect(activated.stderr).toBe('');
    expect(activated.code).toBe(0);
    expect(activated.stdout).toMatch(/^activated device \S+ \(ES256\) for subject \S+/);
    expect((await stat(device)).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(device, 'utf8'));
    expect(kept.privateJwk.d).toEqual(expect.any(String));
    expect(kept.identityUrl).toBe(identityUrl);

    // 2. The phone shows a QR code; the token alone is on stdout.
    const shown = await phone('qr', '--device', device, '--out', qr);
    expect(shown.code).toBe(0);
    const token = shown.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(shown.stderr).toContain(`wrote ${qr}`);

    // 3. The PNG holds a valid presentation: the offline verifier decodes and checks it.
    const trust = join(dir, 'trust.json');
    const bundled = await verifier('bundle', '--identity', identityUrl, '--out', trust);
    expect(bundled.code).toBe(0);
    const offline = await verifier('verify', '--bundle', trust, '--qr', qr);
    expect(offline.stdout).toMatch(/^VALID/);
    expect(offline.code).toBe(0);

    // 4. The counter clerk signs in and verifies the scanned token, once.
    const login = await fetch(`${identityUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'public-security.clerk', password: staffPassword }),
    });
    expect(login.status).toBe(200);
    const { accessToken: clerk } = (await login.json()) as { accessToken: string };
    const verify = () =>
      fetch(`${identityUrl}/v1/presentations/verify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token, counter: 'window 3' }),
      });
    const verified = await verify();
    expect(verified.status).toBe(200);
    const result = (await verified.json()) as { verificationId: string; subjectId: string };
    expect(result.subjectId).toBe(kept.subjectId);
    const again = await verify();
    expect(again.status).toBe(409);
    expect(((await again.json()) as { code: string }).code).toBe('presentation_replayed');

    // 5. The phone's history shows that verification.
    const listed = await phone('history', '--device', device);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(result.verificationId);
    expect(listed.stdout).toContain('public_security, counter window 3');
    const json = await phone('history', '--device', device, '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ id: result.verificationId, counter: 'window 3' }),
    ]);
  }, 120_000);

  it('works the same with an Ed25519 key', async () => {
    const device = join(dir, 'ed25519.json');
    const args = ['--code', secondCode, '--identity', identityUrl, '--alg', 'EdDSA'];
    const activated = await phone('activate', ...args, '--device', device);
    expect(activated.stdout).toContain('(EdDSA)');
    expect(activated.code).toBe(0);
    const shown = await phone('qr', '--device', device, '--out', join(dir, 'ed25519.png'));
    expect(shown.code).toBe(0);
    const login = await fetch(`${identityUrl}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'health.clerk', password: staffPassword }),
    });
    const { accessToken: clerk } = (await login.json()) as { accessToken: string };
    const verified = await fetch(`${identityUrl}/v1/presentations/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: shown.stdout.trim() }),
    });
    expect(verified.status).toBe(200);
    const listed = await phone('history', '--device', device);
    expect(listed.stdout).toMatch(/\(health\) by staff/);
  }, 120_000);

  it('refuses a proof made for a URL identity does not answer to, and says what to do', async () => {
    const device = join(dir, 'elsewhere.json');
    const other = identityUrl.replace('127.0.0.1', 'localhost');
    const activated = await phone(
      'activate',
      '--code',
      activationCode,
      '--identity',
      other,
      '--device',
      device,
    );
    expect(activated.code).toBe(1);
    expect(activated.stderr).toContain('invalid_dpop_proof');
    expect(activated.stderr).toContain('IDENTITY_PUBLIC_URLS');
    expect(activated.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
