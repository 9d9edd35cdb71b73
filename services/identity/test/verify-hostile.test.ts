import http from 'node:http';
import https from 'node:https';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONLINE_CLOCK_TOLERANCE_SECONDS } from '../src/domain/presentations/verify-presentation.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, clerkIn, presentation, residentWithDevice, verify } from './helpers/flow.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Counts every way this process could reach out: a hostile token must cause none. */
function outboundCounter() {
  let count = 0;
  const originals = {
    fetch: globalThis.fetch,
    http: http.request,
    https: https.request,
    httpGet: http.get,
    httpsGet: https.get,
  };
  globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
    count++;
    return originals.fetch(...args);
  }) as typeof fetch;
  for (const [mod, key] of [
    [http, 'request'],
    [https, 'request'],
    [http, 'get'],
    [https, 'get'],
  ] as const) {
    const original = mod[key] as (...args: unknown[]) => unknown;
    (mod as unknown as Record<string, unknown>)[key] = (...args: unknown[]) => {
      count++;
      return original.apply(mod, args);
    };
  }
  return {
    count: () => count,
    restore() {
      globalThis.fetch = originals.fetch;
      http.request = originals.http;
      https.request = originals.https;
      http.get = originals.httpGet;
      https.get = originals.httpsGet;
    },
  };
}

describe('POST /v1/presentations/verify with forged and hostile tokens', () => {
  let t: TestApp;
  let clerk: string;
  let genuine: string;
  const outbound = outboundCounter();

  beforeAll(async () => {
    t = await startTestApp();
    clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
    const { device, token } = await residentWithDevice(t, clerk);
    genuine = await presentation(t.app, device, token);
  });
  afterAll(async () => {
    outbound.restore();
    await t.close();
  });

  const parts = () => genuine.split('.') as [string, string, string];
  const header = () => JSON.parse(Buffer.from(parts()[0], 'base64url').toString());
  const payload = () => JSON.parse(Buffer.from(parts()[1], 'base64url').toString());

  async function resignedWith(headerOverrides: Record<string, unknown>, claims = payload()) {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = await exportJWK(publicKey);
    const h = { ...header(), ...headerOverrides };
    for (const [k, v] of Object.entries(h)) if (v === undefined) delete h[k];
    return {
      token: await new SignJWT(claims).setProtectedHeader(h as never).sign(privateKey),
      jwk,
    };
  }

  const cases: [string, () => Promise<string> | string, readonly string[]][] = [
    [
      'a tampered payload',
      () => `${parts()[0]}.${b64({ ...payload(), sl: payload().sl + 1 })}.${parts()[2]}`,
      ['signature_invalid'],
    ],
    [
      'a token re-signed with another key under the real kid',
      async () => (await resignedWith({})).token,
      ['signature_invalid'],
    ],
    [
      'a token re-signed with another key and kid',
      async () => (await resignedWith({ kid: 'A'.repeat(43) })).token,
      ['unknown_key'],
    ],
    [
      'alg none',
      () => `${b64({ ...header(), alg: 'none' })}.${parts()[1]}.`,
      ['signature_invalid', 'malformed_token'],
    ],
    [
      'HS256 keyed with the public key',
      async () => {
        const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
        const secret = Buffer.from(JSON.stringify(jwks.keys[0]));
        return new SignJWT(payload())
          .setProtectedHeader({ ...header(), alg: 'HS256' })
          .sign(secret);
      },
      ['signature_invalid'],
    ],
    [
      'an embedded jwk',
      async () => {
        const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
        return new SignJWT(payload())
          .setProtectedHeader({ ...header(), jwk: await exportJWK(publicKey) })
          .sign(privateKey);
      },
      ['signature_invalid'],
    ],
    [
      'a jku pointing elsewhere',
      async () => (await resignedWith({ jku: 'http://127.0.0.1:9/keys.json' })).token,
      ['signature_invalid'],
    ],
    [
      'an x5u',
      async () => (await resignedWith({ x5u: 'http://127.0.0.1:9/cert.pem' })).token,
      ['signature_invalid'],
    ],
    [
      'an access token presented as a presentation',
      () => clerk,
      ['signature_invalid', 'malformed_token'],
    ],
    [
      'a 10 KB kid',
      async () => (await resignedWith({ kid: 'k'.repeat(10_240) })).token,
      ['malformed_token', 'validation_failed'],
    ],
    [
      'random bytes',
      () => Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256)).toString('latin1'),
      ['malformed_token', 'validation_failed'],
    ],
    ['an empty string', () => '', ['validation_failed']],
    ['three empty segments', () => '..', ['malformed_token']],
  ];

  for (const [name, make, codes] of cases) {
    it(`refuses ${name} with ${codes.join(' or ')}, without reaching out`, async () => {
      const token = await make();
      const before = outbound.count();
      const res = await verify(t.app, clerk, token);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(codes).toContain(res.json().code);
      expect(outbound.count()).toBe(before);
    });
  }

  it('still accepts the genuine token afterwards (the hostile ones did not consume it)', async () => {
    expect((await verify(t.app, clerk, genuine)).statusCode).toBe(200);
  });

  it('answers 10,000 generated inputs without a single 5xx', async () => {
    const segment = fc.oneof(
      fc.base64String().map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
      fc.json().map(b64),
      fc
        .record({
          alg: fc.constantFrom('EdDSA', 'none', 'HS256', 'RS256', 'ES256', ''),
          typ: fc.string(),
          kid: fc.string({ maxLength: 80 }),
        })
        .map(b64),
      fc.string({ maxLength: 60 }),
    );
    const token = fc.oneof(
      fc.string({ maxLength: 500 }),
      fc.tuple(segment, segment, segment).map((p) => p.join('.')),
      fc.tuple(segment, segment).map(([a, b]) => `${parts()[0]}.${a}.${b}`),
      fc
        .tuple(fc.nat({ max: genuine.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }))
        .map(([i, c]) => genuine.slice(0, i) + c + genuine.slice(i + 1)),
    );
    const body = fc.oneof(
      token.map((tok) => JSON.stringify({ token: tok })),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
    );
    let fiveHundreds = 0;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        runs++;
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/presentations/verify',
          headers: { authorization: `Bearer ${clerk}`, 'content-type': 'application/json' },
          payload,
        });
        if (res.statusCode >= 500) fiveHundreds++;
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: 10_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(10_000);
    expect(fiveHundreds).toBe(0);
  }, 120_000);
});

describe('clock window of online verification', () => {
  let t: TestApp;
  let clerk: string;
  let resident: Awaited<ReturnType<typeof residentWithDevice>>;
  beforeAll(async () => {
    t = await startTestApp();
    clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
    resident = await residentWithDevice(t, clerk);
  });
  afterAll(() => t.close());

  it('accepts exactly when iat − tolerance ≤ now ≤ exp + tolerance (fast-check, injected clock)', async () => {
    const base = t.clock().getTime();
    const tolMs = ONLINE_CLOCK_TOLERANCE_SECONDS * 1000;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: -3_000, max: 65_000 }),
        async (issueOffset, verifyOffset) => {
          t.clock.set(new Date(base + issueOffset));
          const token = await presentation(t.app, resident.device, resident.token);
          const { iat, exp } = JSON.parse(
            Buffer.from(token.split('.')[1] ?? '', 'base64url').toString(),
          );
          const at = base + issueOffset + verifyOffset;
          t.clock.set(new Date(at));
          const res = await verify(t.app, clerk, token);
          const expected = at >= iat * 1000 - tolMs && at <= exp * 1000 + tolMs;
          if (expected) {
            expect(res.statusCode).toBe(200);
          } else {
            expect(res.json().code).toBe(
              at > exp * 1000 ? 'presentation_expired' : 'presentation_not_yet_valid',
            );
          }
        },
      ),
      { numRuns: 150 },
    );
    t.clock.set(new Date(base));
  }, 120_000);
});
