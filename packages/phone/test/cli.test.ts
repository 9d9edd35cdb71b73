import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, nodeIo, runCli } from '../src/cli.js';

let dir: string;
let server: Server;
let identityUrl: string;
/** What the stand-in identity saw: each request's method, path and verified proof claims. */
let seen: { method: string; path: string; claims: Record<string, unknown>; alg: string }[];
/** Problem the stand-in answers the next activation with, when set. */
let refuseActivation: { status: number; body: object } | undefined;

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ...nodeIo, out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

/**
 * A stand-in for identity's four routes that checks each proof as identity does (signature by the
 * key in its header, htm, htu, ath), so these tests fail if the phone signs the wrong request.
 */
async function handle(req: IncomingMessage): Promise<{ status: number; body: object }> {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const proof = String(req.headers.dpop ?? '');
  let claims: Record<string, unknown>;
  let alg: string;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt' });
    claims = verified.payload;
    alg = verified.protectedHeader.alg;
  } catch {
    return { status: 401, body: { code: 'invalid_dpop_proof', detail: 'bad proof' } };
  }
  seen.push({ method: req.method ?? '', path, claims, alg });
  if (claims.htm !== req.method || claims.htu !== `${identityUrl}${path}`) {
    return { status: 401, body: { code: 'invalid_dpop_proof', detail: 'wrong htm or htu' } };
  }
  const token = 'resident-access-token';
  const authorization = req.headers.authorization;
  const bound = claims.ath === createHash('sha256').update(token).digest('base64url');
  if (path === '/v1/devices/activate') {
    if (refuseActivation) return refuseActivation;
    return {
      status: 201,
      body: { deviceId: 'dev_1', subjectId: 'sub_1', keyId: 'k1', credential: null },
    };
  }
  if (path === '/v1/auth/device-token') {
    return {
      status: 200,
      body: {
        accessToken: token,
        tokenType: 'DPoP',
        expiresIn: 900,
        scope: '',
        subjectId: 'sub_1',
        deviceId: 'dev_1',
      },
    };
  }
  if (authorization !== `DPoP ${token}` || !bound) {
    return { status: 401, body: { code: 'invalid_dpop_proof', detail: 'not bound' } };
  }
  if (path === '/v1/presentations') {
    return { status: 201, body: { token: 'aaa.bbb.ccc', expiresAt: '2026-03-02T09:31:00.000Z' } };
  }
  if (path === '/v1/me/verifications') {
    return {
      status: 200,
      body: {
        items: [
          {
            id: 'ver_1',
            verifiedAt: '2026-03-02T09:30:10.000Z',
            verifier: {
              kind: 'staff',
              department: {
                code: 'public_security',
                name: { zh: '公安局', en: 'Public Security' },
              },
            },
            counter: 'window 3',
          },
        ],
        nextCursor: null,
      },
    };
  }
  return { status: 404, body: { code: 'not_found' } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tb-phone-cli-'));
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void handle(req).then(({ status, body }) => {
        res.writeHead(status, {
          'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
        });
        res.end(JSON.stringify(body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  identityUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  refuseActivation = undefined;
});

function expectOneLineError(io: { err: string[] }, text: string | RegExp) {
  const message = io.err.join('\n');
  expect(message).toMatch(text);
  expect(message).not.toMatch(/\n\s+at /);
}

describe('tongban-phone arguments', () => {
  it('prints the usage and exits 1 without a command', async () => {
    const io = capture();
    expect(await runCli([], io)).toBe(1);
    expect(io.err.join('\n')).toContain('tongban-phone activate --code');
  });

  it('says in its help that a real phone keeps the key non-extractable', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out.join('\n')).toMatch(/non-extractable/);
  });

  it('refuses an unknown command', async () => {
    const io = capture();
    expect(await runCli(['scan'], io)).toBe(1);
    expectOneLineError(io, /unknown command "scan"/);
  });

  it('refuses activation without a code, naming the flag', async () => {
    const io = capture();
    expect(await runCli(['activate', '--identity', identityUrl], io)).toBe(1);
    expectOneLineError(io, /--code is required \(the activation code printed at the counter\)/);
    expect(seen).toEqual([]);
  });

  it('refuses activation without an identity URL', async () => {
    const io = capture();
    expect(await runCli(['activate', '--code', 'ABCD-EFGH-JKLM-NPQR'], io)).toBe(1);
    expectOneLineError(io, /--identity is required/);
  });

  it('refuses an identity URL that is not http(s)', async () => {
    const io = capture();
    const args = ['activate', '--code', 'ABCD-EFGH-JKLM-NPQR', '--identity', 'ftp://x'];
    expect(await runCli([...args, '--device', join(dir, 'ftp.json')], io)).toBe(1);
    expectOneLineError(io, /--identity must be an http\(s\) URL/);
  });

  it('refuses an algorithm identity does not accept', async () => {
    const io = capture();
    const args = ['activate', '--code', 'c', '--identity', identityUrl, '--alg', 'RS256'];
    expect(await runCli(args, io)).toBe(1);
    expectOneLineError(io, /--alg must be ES256 \(P-256\) or EdDSA \(Ed25519\), not "RS256"/);
  });

  it('refuses a records URL that is not http(s) before asking identity for a token', async () => {
    const io = capture();
    const args = ['reads', '--records', 'ftp://records', '--device', join(dir, 'none.json')];
    expect(await runCli(args, io)).toBe(1);
    expectOneLineError(io, /--records must be an http\(s\) URL: ftp:\/\/records/);
    expect(seen).toEqual([]);
  });

  it('refuses a workflow URL that is not http(s) before asking identity for a token', async () => {
    const io = capture();
    const args = ['cases', '--workflow', 'ftp://workflow', '--device', join(dir, 'none.json')];
    expect(await runCli(args, io)).toBe(1);
    expectOneLineError(io, /--workflow must be an http\(s\) URL: ftp:\/\/workflow/);
    expect(seen).toEqual([]);
  });

  it('takes the workflow URL from WORKFLOW_URL when --workflow is not given', async () => {
    const io = { ...capture(), env: { WORKFLOW_URL: 'ftp://from-env' } };
    expect(await runCli(['cases', '--device', join(dir, 'none.json')], io)).toBe(1);
    expectOneLineError(io, /--workflow must be an http\(s\) URL: ftp:\/\/from-env/);
  });

  it('asks withdraw and answer for one case id, as cases prints it', async () => {
    const none = capture();
    expect(await runCli(['withdraw'], none)).toBe(1);
    expectOneLineError(none, /withdraw needs the case id \(as "tongban-phone cases" prints it\)/);
    const bad = capture();
    expect(await runCli(['answer', '../v1/me', '--message', 'hi'], bad)).toBe(1);
    expectOneLineError(bad, /"\.\.\/v1\/me" is not a case id/);
    const two = capture();
    const id = '3f1c2a9e-4b7d-4e0a-9c55-0d6f1e2a3b4c';
    expect(await runCli(['withdraw', id, id], two)).toBe(1);
    expectOneLineError(two, /withdraw takes one case id, not 2/);
    const silent = capture();
    expect(await runCli(['answer', id], silent)).toBe(1);
    expectOneLineError(silent, /--message is required \(what the department asked for\)/);
    expect(seen).toEqual([]);
  });

  it('refuses an unknown option', async () => {
    const io = capture();
    expect(await runCli(['qr', '--colour', 'red'], io)).toBe(1);
    expectOneLineError(io, /--colour/);
  });

  it('says clearly when identity cannot be reached, and keeps no key', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const device = join(dir, 'unreachable.json');
    const io = capture();
    const args = [
      'activate',
      '--code',
      'ABCD-EFGH-JKLM-NPQR',
      '--identity',
      `http://127.0.0.1:${port}`,
    ];
    expect(await runCli([...args, '--device', device], io)).toBe(1);
    expectOneLineError(
      io,
      new RegExp(`cannot reach identity at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    await expect(stat(device)).rejects.toThrow();
  });

  it("passes identity's refusal on with its code and detail", async () => {
    refuseActivation = {
      status: 400,
      body: { code: 'activation_code_invalid', detail: 'The activation code is not valid.' },
    };
    const io = capture();
    const args = ['activate', '--code', 'ABCD-EFGH-JKLM-NPQR', '--identity', identityUrl];
    expect(await runCli([...args, '--device', join(dir, 'refused.json')], io)).toBe(1);
    expectOneLineError(
      io,
      'tongban-phone: identity refused activation (activation_code_invalid): The activation code is not valid.',
    );
  });

  it('asks for activation first when there is no device file', async () => {
    const io = capture();
    expect(await runCli(['qr', '--device', join(dir, 'none.json')], io)).toBe(1);
    expectOneLineError(io, /no device at .*none\.json: run "tongban-phone activate/);
  });

  it('refuses a device file that is not one', async () => {
    const path = join(dir, 'garbage.json');
    await writeFile(path, '{"hello":1}');
    const io = capture();
    expect(await runCli(['history', '--device', path], io)).toBe(1);
    expectOneLineError(io, /is not a demo phone's device file/);
  });
});

describe.each(['ES256', 'EdDSA'] as const)('tongban-phone with an %s key', (alg) => {
  // qr and history use a device of their own, activated here, so no test relies on another.
  const activatedDevice = () => join(dir, `${alg}-activated.json`);
  beforeAll(async () => {
    const args = ['activate', '--code', 'ABCD-EFGH-JKLM-NPQR', '--identity', identityUrl];
    const io = capture();
    const code = await runCli([...args, '--alg', alg, '--device', activatedDevice()], io);
    if (code !== 0) throw new Error(io.err.join('\n'));
  });

  it('activates with a proof for the activation URL, keeps the key 0600, and will not overwrite it', async () => {
    const device = join(dir, `${alg}.json`);
    const io = capture();
    const args = ['activate', '--code', 'ABCD-EFGH-JKLM-NPQR', '--identity', `${identityUrl}/`];
    expect(await runCli([...args, '--alg', alg, '--device', device], io)).toBe(0);
    expect(io.out.join('\n')).toContain(`activated device dev_1 (${alg}) for subject sub_1`);
    expect(seen).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/devices/activate', alg }),
    ]);
    expect(seen[0]?.claims).not.toHaveProperty('ath');
    expect((await stat(device)).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(device, 'utf8'));
    expect(kept).toMatchObject({ identityUrl, deviceId: 'dev_1', subjectId: 'sub_1', alg });
    expect(kept.publicJwk).not.toHaveProperty('d');

    const again = capture();
    expect(await runCli([...args, '--alg', alg, '--device', device], again)).toBe(1);
    expectOneLineError(again, /already holds a device key; pass --force/);
  });

  it('prints the presentation token alone on stdout and writes a PNG', async () => {
    const device = activatedDevice();
    const out = join(dir, `${alg}-qr.png`);
    const io = capture();
    expect(await runCli(['qr', '--device', device, '--out', out], io)).toBe(0);
    expect(io.out).toEqual(['aaa.bbb.ccc']);
    expect(io.err.join('\n')).toContain(`wrote ${out}`);
    const png = await readFile(out);
    expect(png.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    // A fresh proof per request, the second one bound to the token (ath).
    expect(seen.map((s) => s.path)).toEqual(['/v1/auth/device-token', '/v1/presentations']);
    expect(seen[0]?.claims.jti).not.toBe(seen[1]?.claims.jti);
  });

  it('signs in at identity for reads, then says clearly when records cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const device = activatedDevice();
    const io = capture();
    const args = ['reads', '--device', device, '--records', `http://127.0.0.1:${port}/`];
    expect(await runCli(args, io)).toBe(1);
    expectOneLineError(
      io,
      new RegExp(`cannot reach records at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/auth/device-token']);
    // Nothing was verified, so nothing is kept as the last look at the log.
    await expect(stat(join(dir, 'access-log.json'))).rejects.toThrow();
  });

  it('signs in at identity for cases, then says clearly when workflow cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const io = { ...capture(), env: { WORKFLOW_URL: `http://127.0.0.1:${port}` } };
    expect(await runCli(['cases', '--device', activatedDevice()], io)).toBe(1);
    expectOneLineError(
      io,
      new RegExp(`cannot reach workflow at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/auth/device-token']);
  });

  it('lists the verifications with a proof bound to the resident token', async () => {
    const device = activatedDevice();
    const io = capture();
    expect(await runCli(['history', '--device', device], io)).toBe(0);
    expect(io.out).toEqual([
      '2026-03-02T09:30:10.000Z  Public Security (public_security, counter window 3) by staff  ver_1',
    ]);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'POST /v1/auth/device-token',
      'GET /v1/me/verifications',
    ]);
  });
});
