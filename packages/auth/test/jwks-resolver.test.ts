import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createJwksKeyResolver,
  httpJwksFetcher,
  importVerificationKeys,
  localKeyResolver,
  verifyAccessToken,
} from '../src/index.js';
import { type JwksServer, manualClock, startJwksServer } from './helpers/jwks-server.js';
import { AUDIENCE, ISSUER, makeKey, NOW, sign } from './helpers/keys.js';

let server: JwksServer;
beforeEach(async () => {
  server = await startJwksServer();
});
afterEach(() => server.close());

function resolverFor(
  clock = manualClock(),
  options: { cacheTtlMs?: number; minRefetchIntervalMs?: number; maxStaleMs?: number } = {},
) {
  return createJwksKeyResolver({
    fetchJwks: httpJwksFetcher(server.url, { timeoutMs: 2_000 }),
    now: clock.now,
    ...options,
  });
}

const failing = (_req: unknown, res: { writeHead(status: number): { end(): void } }) => {
  res.writeHead(503).end();
};

describe('createJwksKeyResolver', () => {
  it('shares one fetch among 20 concurrent lookups of an unknown kid', async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    const resolver = resolverFor();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => resolver.resolve('no-such-kid')),
    );
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(server.requests).toBe(1);
  });

  it('refetches for unknown kids at most once per minRefetchIntervalMs', async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    const clock = manualClock();
    const resolver = resolverFor(clock, { cacheTtlMs: 60_000, minRefetchIntervalMs: 30_000 });
    expect(await resolver.resolve(key.kid)).toBeDefined();
    expect(server.requests).toBe(1);

    for (let i = 0; i < 20; i += 1) await resolver.resolve(`made-up-${i}`);
    await Promise.all(Array.from({ length: 20 }, (_, i) => resolver.resolve(`other-${i}`)));
    expect(server.requests).toBe(1);

    clock.advance(29_999);
    await resolver.resolve('still-too-soon');
    expect(server.requests).toBe(1);

    clock.advance(1);
    await Promise.all(Array.from({ length: 20 }, () => resolver.resolve('now-allowed')));
    expect(server.requests).toBe(2);
  });

  it('picks up a rotated-in key when a token names it', async () => {
    const old = await makeKey('2030-01');
    server.setKeys({ keys: [old.publicJwk] });
    const clock = manualClock();
    const resolver = resolverFor(clock);
    const verify = (token: string) =>
      verifyAccessToken(token, { resolver, issuer: ISSUER, audience: AUDIENCE, now: NOW });
    await expect(verify(await sign(old))).resolves.toMatchObject({ kind: 'staff' });

    const next = await makeKey('2030-02');
    server.setKeys({ keys: [old.publicJwk, next.publicJwk] });
    clock.advance(5_000);
    await expect(verify(await sign(next))).resolves.toMatchObject({ kind: 'staff' });
    // The retired key stays usable while it is still published.
    await expect(verify(await sign(old))).resolves.toMatchObject({ kind: 'staff' });
    expect(server.requests).toBe(2);
  });

  it('expires the set at its absolute time however often it is read (defect 5)', async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    const clock = manualClock();
    // Refresh-ahead would hide the expiry; a floor equal to the lifetime keeps it out of the way.
    const resolver = resolverFor(clock, { cacheTtlMs: 10_000, minRefetchIntervalMs: 10_000 });
    expect(await resolver.resolve(key.kid)).toBeDefined();

    const replacement = await makeKey();
    server.setKeys({ keys: [replacement.publicJwk] });
    // Read every 100 ms: no read moves the set's expiry.
    for (let i = 0; i < 99; i += 1) {
      clock.advance(100);
      expect(await resolver.resolve(key.kid)).toBeDefined();
    }
    expect(server.requests).toBe(1);
    clock.advance(100); // 10 000 ms after the fetch began
    expect(await resolver.resolve(key.kid)).toBeUndefined();
    expect(await resolver.resolve(replacement.kid)).toBeDefined();
    expect(server.requests).toBe(2);
  });

  it('stops resolving a kid at once when a refreshed set no longer holds it (defect 5)', async () => {
    const key = await makeKey('withdrawn');
    const other = await makeKey('other');
    server.setKeys({ keys: [key.publicJwk, other.publicJwk] });
    const clock = manualClock();
    const resolver = resolverFor(clock);
    expect(await resolver.resolve(key.kid)).toBeDefined();

    server.setKeys({ keys: [other.publicJwk] });
    clock.advance(10_000);
    // The first lookup after expiry waits for the new set rather than answering from the old one.
    expect(await resolver.resolve(key.kid)).toBeUndefined();
    expect(await resolver.resolve(other.kid)).toBeDefined();

    // An empty set is the issuer's word too: nothing resolves.
    server.setKeys({ keys: [] });
    clock.advance(10_000);
    expect(await resolver.resolve(other.kid)).toBeUndefined();
  });

  it("refreshes behind the request in the second half of the set's life", async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    const clock = manualClock();
    const resolver = resolverFor(clock, { cacheTtlMs: 10_000, minRefetchIntervalMs: 5_000 });
    expect(await resolver.resolve(key.kid)).toBeDefined();

    const replacement = await makeKey();
    server.setKeys({ keys: [replacement.publicJwk] });
    clock.advance(5_000);
    // Answered from the set it holds while the refresh runs…
    expect(await resolver.resolve(key.kid)).toBeDefined();
    // …which then replaces it, before the old set would have expired.
    await vi.waitFor(async () => expect(await resolver.resolve(key.kid)).toBeUndefined());
    expect(await resolver.resolve(replacement.kid)).toBeDefined();
    expect(server.requests).toBe(2);
  });

  it('keeps the previous set through failed refreshes only up to maxStaleMs (defect 5)', async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    const clock = manualClock();
    const resolver = resolverFor(clock, {
      cacheTtlMs: 10_000,
      minRefetchIntervalMs: 5_000,
      maxStaleMs: 300_000,
    });
    expect(await resolver.resolve(key.kid)).toBeDefined();

    server.setHandler(failing);
    clock.advance(10_000);
    // Identity unreachable: the set it last published still answers, and an unknown kid does not.
    expect(await resolver.resolve(key.kid)).toBeDefined();
    expect(await resolver.resolve('rotated?')).toBeUndefined();
    expect(server.requests).toBe(2);

    clock.advance(289_999); // 299 999 ms after the last successful fetch began
    expect(await resolver.resolve(key.kid)).toBeDefined();
    clock.advance(1);
    expect(await resolver.resolve(key.kid)).toBeUndefined();

    // Once identity answers again, its set is used at once.
    server.setKeys({ keys: [key.publicJwk] });
    clock.advance(5_000);
    expect(await resolver.resolve(key.kid)).toBeDefined();
  });

  it('imports only Ed25519 public signature keys', async () => {
    const good = await makeKey('good');
    const ec = await generateKeyPair('ES256', { extractable: true });
    const x25519 = await generateKeyPair('ECDH-ES', { crv: 'X25519', extractable: true });
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    const edPublic = await exportJWK(ed.publicKey);
    const keys = await importVerificationKeys({
      keys: [
        good.publicJwk,
        { ...(await exportJWK(ec.publicKey)), kid: 'p256' },
        { ...(await exportJWK(x25519.publicKey)), kid: 'x25519' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' },
        { ...(await exportJWK(ed.privateKey)), kid: 'private' },
        { ...edPublic, kid: 'encryption', use: 'enc' },
        { ...edPublic, kid: 'ops', key_ops: ['encrypt'] },
        { ...edPublic, kid: 'other-alg', alg: 'ES256' },
        { ...edPublic, kid: 'not-a-point', x: 'A'.repeat(42) },
        { ...edPublic, kid: 'twice' },
        { ...good.publicJwk, kid: 'twice' },
        { ...edPublic, kid: 'k'.repeat(65) },
        { ...edPublic },
      ],
    });
    expect([...keys.keys()]).toEqual(['good']);
    expect(keys.get('good')?.type).toBe('public');
  });
});

describe('localKeyResolver', () => {
  it('resolves the keys it was given and nothing else', async () => {
    const key = await makeKey();
    const resolver = localKeyResolver({ keys: [key.publicJwk] });
    expect(await resolver.resolve(key.kid)).toBeDefined();
    expect(await resolver.resolve('other')).toBeUndefined();
  });
});

describe('httpJwksFetcher', () => {
  it('returns the key set', async () => {
    const key = await makeKey();
    server.setKeys({ keys: [key.publicJwk] });
    await expect(httpJwksFetcher(server.url)()).resolves.toEqual({ keys: [key.publicJwk] });
  });

  it('accepts application/jwk-set+json', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' });
      res.end('{"keys":[]}');
    });
    await expect(httpJwksFetcher(server.url)()).resolves.toEqual({ keys: [] });
  });

  it('refuses a response that is not JSON', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>{"keys":[]}</html>');
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow(/not JSON/);
  });

  it('refuses an error status', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"keys":[]}');
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow(/HTTP 500/);
  });

  it('refuses JSON without a keys array', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":{}}');
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow(/keys/);
  });

  it('refuses a body over 256 KB, declared or streamed', async () => {
    const big = JSON.stringify({ keys: [], pad: 'x'.repeat(256 * 1024) });
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': big.length });
      res.end(big);
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow(/larger than/);

    // Chunked, no Content-Length: only counting the bytes catches it.
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 300; i += 1) res.write('x'.repeat(1024));
      res.end();
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow(/larger than/);
  });

  it('gives up after timeoutMs on a server that never answers', async () => {
    server.setHandler(() => {
      // Hold the request open.
    });
    // The abort's own error, not a stopwatch: without the timeout the fetch would hang and the
    // test would fail at its limit, however fast or slow the machine is.
    await expect(httpJwksFetcher(server.url, { timeoutMs: 200 })()).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('does not follow redirects', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    await expect(httpJwksFetcher(server.url)()).rejects.toThrow();
    expect(server.requests).toBe(1);
  });
});
