import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, decodeQrPng, runCli, type TrustBundle } from '../src/cli.js';
import {
  encodeStatusList,
  issuePresentationToken,
  issueStatusListToken,
  StatusType,
  statusListUrl,
} from '../src/index.js';
import { type IssuerKey, makeDeviceKeyId, makeIssuerKey, makeSubject } from './helpers/keys.js';

const NOW = new Date('2026-03-02T09:30:00.000Z');
const VALID_INDEX = 17;
const REVOKED_INDEX = 18;

let dir: string;
let issuer: IssuerKey;
let device: string;
let identityUrl: string;
let server: Server;
let listToken: string;

function capture(now = NOW): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readFile: (path) => readFile(path),
    writeFile: (path, text) => writeFile(path, text),
    fetch: (input, init) => fetch(input, init),
    now: () => now,
  };
}

async function presentation(statusIndex: number) {
  const { token } = await issuePresentationToken({
    key: issuer.privateKey,
    kid: issuer.kid,
    issuer: 'tb',
    subject: makeSubject(),
    statusIndex,
    deviceKeyId: device,
    now: NOW,
  });
  return token;
}

async function qrPng(text: string, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, await QRCode.toBuffer(text, { errorCorrectionLevel: 'M' }));
  return path;
}

/** The identity service's two public documents, served for real on a loopback port. */
function serveIdentity(routes: Record<string, { type: string; body: string }>): Promise<Server> {
  const srv = createServer((request, response) => {
    const route = routes[request.url ?? ''];
    if (route === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': route.type }).end(route.body);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tongban-verify-'));
  issuer = await makeIssuerKey();
  device = await makeDeviceKeyId();

  // The server must exist before the list is signed: the list names itself by the server's URL.
  const routes: Record<string, { type: string; body: string }> = {};
  server = await serveIdentity(routes);
  identityUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const statuses = new Uint8Array(64);
  statuses[REVOKED_INDEX] = StatusType.INVALID;
  ({ token: listToken } = await issueStatusListToken({
    key: issuer.privateKey,
    kid: issuer.kid,
    issuer: 'tb',
    uri: statusListUrl(identityUrl, 0),
    list: encodeStatusList(statuses, 2),
    now: new Date(NOW.getTime() - 90_000),
    ttlSeconds: 300,
    expiresInSeconds: 86_400,
  }));
  routes['/.well-known/jwks.json'] = {
    type: 'application/json',
    body: JSON.stringify({ keys: [issuer.publicJwk] }),
  };
  routes['/v1/status-lists/0'] = { type: 'application/statuslist+jwt', body: listToken };

  const trust: TrustBundle = {
    issuer: 'tb',
    identityUrl,
    fetchedAt: NOW.toISOString(),
    jwks: { keys: [issuer.publicJwk] },
    statusLists: [listToken],
  };
  await writeFile(join(dir, 'trust.json'), JSON.stringify(trust));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('tongban-verify verify', () => {
  it('decodes a QR PNG of a valid token and exits 0', async () => {
    const png = await qrPng(await presentation(VALID_INDEX), 'valid.png');
    const io = capture();
    const code = await runCli(['verify', '--bundle', join(dir, 'trust.json'), '--qr', png], io);
    expect(io.err).toStrictEqual([]);
    expect(code).toBe(0);
    expect(io.out.join('\n')).toMatch(/^VALID — subject .{6}…, not revoked as of 1 min ago/);
  });

  it('refuses a revoked credential from its QR and exits 1', async () => {
    const png = await qrPng(await presentation(REVOKED_INDEX), 'revoked.png');
    const io = capture();
    const code = await runCli(['verify', '--bundle', join(dir, 'trust.json'), '--qr', png], io);
    expect(code).toBe(1);
    expect(io.out.join('\n')).toMatch(/^REFUSED \(credential_revoked\)/);
    expect(io.out.join('\n')).toContain('status as of 1 min ago');
  });

  it('verifies a token given on the command line at a chosen time', async () => {
    const token = await presentation(VALID_INDEX);
    const bundle = join(dir, 'trust.json');
    const later = new Date(NOW.getTime() + 91_000).toISOString();
    const fresh = capture();
    expect(await runCli(['verify', '--bundle', bundle, '--token', token], fresh)).toBe(0);
    const stale = capture();
    expect(
      await runCli(['verify', '--bundle', bundle, '--token', token, '--now', later], stale),
    ).toBe(1);
    expect(stale.out.join('\n')).toMatch(/^REFUSED \(presentation_expired\)/);
  });

  it('refuses a QR that holds something else than a token with exit 1', async () => {
    const png = await qrPng('https://example.com/not-a-token', 'url.png');
    const io = capture();
    expect(await runCli(['verify', '--bundle', join(dir, 'trust.json'), '--qr', png], io)).toBe(1);
    expect(io.out.join('\n')).toMatch(/^REFUSED \(malformed_token\)/);
  });

  it('exits 2 on a garbage image', async () => {
    const path = join(dir, 'garbage.png');
    await writeFile(path, randomBytes(4096));
    const io = capture();
    expect(await runCli(['verify', '--bundle', join(dir, 'trust.json'), '--qr', path], io)).toBe(2);
    expect(io.err.join('\n')).toContain('not a readable PNG image');
  });

  it('exits 2 on a PNG without a QR code', async () => {
    const blank = new PNG({ width: 64, height: 64 });
    blank.data.fill(255);
    const path = join(dir, 'blank.png');
    await writeFile(path, PNG.sync.write(blank));
    const io = capture();
    expect(await runCli(['verify', '--bundle', join(dir, 'trust.json'), '--qr', path], io)).toBe(2);
    expect(io.err.join('\n')).toContain('no QR code found');
  });

  it.each([
    ['no arguments', []],
    ['an unknown command', ['scan']],
    ['an unknown flag', ['verify', '--bundle', 'trust.json', '--token', 'x', '--fast']],
    ['no token or QR', ['verify', '--bundle', 'trust.json']],
    ['both token and QR', ['verify', '--bundle', 'trust.json', '--token', 'x', '--qr', 'y.png']],
    ['a bad --now', ['verify', '--bundle', 'trust.json', '--token', 'x', '--now', 'yesterday']],
    ['a missing bundle', ['verify', '--bundle', '/nonexistent/trust.json', '--token', 'x']],
  ])('exits 2 on %s', async (_, argv) => {
    const io = capture();
    expect(await runCli(argv, io)).toBe(2);
  });

  it('exits 2 on a file that is not a trust bundle', async () => {
    const path = join(dir, 'not-a-bundle.json');
    await writeFile(path, JSON.stringify({ keys: [] }));
    const io = capture();
    expect(await runCli(['verify', '--bundle', path, '--token', 'x'], io)).toBe(2);
    expect(io.err.join('\n')).toContain('not a Tongban trust bundle');
  });

  it('prints usage on --help and exits 0', async () => {
    const io = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.out.join('\n')).toContain('tongban-verify verify --bundle');
  });
});

describe('tongban-verify bundle', () => {
  it('fetches the JWKS and status lists into a bundle that verify can use', async () => {
    const out = join(dir, 'fetched.json');
    const io = capture();
    const code = await runCli(['bundle', '--identity', `${identityUrl}/`, '--out', out], io);
    expect(io.err).toStrictEqual([]);
    expect(code).toBe(0);
    const bundle = JSON.parse(await readFile(out, 'utf8')) as TrustBundle;
    expect(bundle).toStrictEqual({
      issuer: 'tb',
      identityUrl,
      fetchedAt: NOW.toISOString(),
      jwks: { keys: [issuer.publicJwk] },
      statusLists: [listToken],
    });

    const png = await qrPng(await presentation(REVOKED_INDEX), 'revoked-again.png');
    expect(await runCli(['verify', '--bundle', out, '--qr', png], capture())).toBe(1);
  });

  it('exits 2 when a list cannot be fetched', async () => {
    const io = capture();
    const argv = [
      'bundle',
      '--identity',
      identityUrl,
      '--lists',
      '0,1',
      '--out',
      join(dir, 'x.json'),
    ];
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err.join('\n')).toContain('/v1/status-lists/1 answered 404');
  });

  it('exits 2 when a list does not verify against the fetched keys', async () => {
    const io = capture();
    const argv = [
      'bundle',
      '--identity',
      identityUrl,
      '--issuer',
      'other',
      '--out',
      join(dir, 'y.json'),
    ];
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err.join('\n')).toContain('does not verify (signature_invalid)');
  });

  it('exits 2 when identity cannot be reached', async () => {
    const io = capture();
    const argv = ['bundle', '--identity', 'http://127.0.0.1:9', '--out', join(dir, 'z.json')];
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err.join('\n')).toContain('cannot fetch');
  });
});

describe('decodeQrPng', () => {
  it('reads back the exact token text', async () => {
    const token = await presentation(VALID_INDEX);
    expect(decodeQrPng(await QRCode.toBuffer(token, { errorCorrectionLevel: 'M' }))).toBe(token);
  });
});
