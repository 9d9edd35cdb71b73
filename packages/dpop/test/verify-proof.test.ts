import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import { isApiError } from '@tongban/service-kit';
import { createTestDatabase, type TestDatabase } from '@tongban/testing';
import { pgSchema } from 'drizzle-orm/pg-core';
import fc from 'fast-check';
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dpopProofsTable, type VerifyProofOptions, verifyDpopProof } from '../src/index.js';

/** The table as a service declares it; the fixture migration is what drizzle-kit writes for it. */
const table = dpopProofsTable(pgSchema('dpop_test'));
const BASE = 'https://records.example.cn';
const GATEWAY = 'https://portal.example.cn/api/records';
const NOW = new Date('2030-01-15T09:00:00Z');
const nowSeconds = Math.floor(NOW.getTime() / 1000);

interface DeviceKey {
  readonly alg: 'ES256' | 'EdDSA';
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

async function deviceKey(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<DeviceKey> {
  const { privateKey, publicKey } = await generateKeyPair(
    alg,
    alg === 'EdDSA' ? { crv: 'Ed25519' } : {},
  );
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

const ath = (token: string) => createHash('sha256').update(token, 'ascii').digest('base64url');

/** A proof as a phone makes it; `claims` and `header` override what it would put there. */
function proof(
  key: DeviceKey,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    htm: 'GET',
    htu: `${BASE}/v1/consents`,
    iat: nowSeconds,
    jti: randomBytes(16).toString('base64url'),
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header })
    .sign(key.privateKey);
}

let test: TestDatabase;
let database: Database;

beforeAll(async () => {
  test = await createTestDatabase();
  database = await openDatabase({
    service: 'dpop_test',
    target: test.target,
    migrationsFolder: fileURLToPath(new URL('./fixtures/migrations', import.meta.url)),
  });
  await database.migrate();
});
afterAll(async () => {
  await database?.close();
  await test?.drop();
});

const check = (options: Partial<VerifyProofOptions> & { proof: string | undefined }) =>
  verifyDpopProof(database.db, table, {
    method: 'GET',
    path: '/v1/consents',
    publicUrls: [BASE, GATEWAY],
    now: NOW,
    ...options,
  });

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (!isApiError(err)) throw err;
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_dpop_proof');
    expect(err.headers['www-authenticate']).toBe(
      'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"',
    );
    return err.detail ?? '';
  }
  throw new Error('the proof was accepted');
}

describe('verifyDpopProof', () => {
  it('accepts a fresh ES256 or Ed25519 proof on any public base URL, and returns its key', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const key = await deviceKey(alg);
      const direct = await check({ proof: await proof(key) });
      expect(direct.jkt).toBe(key.jkt);
      const viaPortal = await check({
        proof: await proof(key, { htu: `${GATEWAY}/v1/consents` }),
        path: '/v1/consents',
      });
      expect(viaPortal.jkt).toBe(key.jkt);
    }
  });

  it('compares htu without query or fragment, and scheme and host case-insensitively', async () => {
    const key = await deviceKey();
    await check({
      proof: await proof(key, { htu: 'HTTPS://Records.Example.CN/v1/consents?x=1#f' }),
    });
  });

  it('accepts a proof once: the replay is refused', async () => {
    const key = await deviceKey();
    const once = await proof(key);
    await check({ proof: once });
    expect(await refusal(check({ proof: once }))).toMatch(/already used/);
  });

  it('binds the proof to the access token (ath) and the token to the key (cnf.jkt)', async () => {
    const key = await deviceKey();
    const other = await deviceKey();
    const token = 'eyJ.token.sig';
    await check({ proof: await proof(key, { ath: ath(token) }), accessToken: token, jkt: key.jkt });
    expect(
      await refusal(check({ proof: await proof(key), accessToken: token, jkt: key.jkt })),
    ).toMatch(/not bound to this access token/);
    expect(
      await refusal(
        check({ proof: await proof(key, { ath: ath('other') }), accessToken: token, jkt: key.jkt }),
      ),
    ).toMatch(/not bound to this access token/);
    expect(
      await refusal(
        check({ proof: await proof(other, { ath: ath(token) }), accessToken: token, jkt: key.jkt }),
      ),
    ).toMatch(/another key/);
  });

  it('refuses a missing, oversized or unparsable proof', async () => {
    expect(await refusal(check({ proof: undefined }))).toMatch(/needs a DPoP proof/);
    expect(await refusal(check({ proof: '' }))).toMatch(/needs a DPoP proof/);
    expect(await refusal(check({ proof: 'x'.repeat(4097) }))).toMatch(/too large/);
    expect(await refusal(check({ proof: 'garbage' }))).toMatch(/not a JWS/);
  });

  it('refuses headers it must not trust', async () => {
    const key = await deviceKey();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const cases: Record<string, unknown>[] = [
      { typ: 'JWT' },
      { jwk: undefined },
      { jku: 'https://evil.example/jwks' },
      { x5u: 'https://evil.example/cert' },
      { x5c: ['MIIB'] },
      { jwk: privateJwk },
    ];
    for (const header of cases) {
      const detail = await refusal(check({ proof: await proof(key, {}, header) }));
      expect(detail, JSON.stringify(header)).toMatch(/header is not acceptable|public P-256/);
    }
    // The algorithm must match the key's curve (an EC key under EdDSA is refused before verify).
    const ed = await deviceKey('EdDSA');
    expect(await refusal(check({ proof: await proof(ed, {}, { jwk: key.jwk }) }))).toMatch(
      /public P-256 or Ed25519/,
    );
  });

  it('refuses a proof that is too old, from the future, or lacks a claim', async () => {
    const key = await deviceKey();
    expect(await refusal(check({ proof: await proof(key, { iat: nowSeconds - 120 }) }))).toMatch(
      /signature or age/,
    );
    expect(await refusal(check({ proof: await proof(key, { iat: nowSeconds + 120 }) }))).toMatch(
      /future|signature or age/,
    );
    for (const claim of ['htm', 'htu', 'iat', 'jti']) {
      expect(await refusal(check({ proof: await proof(key, { [claim]: undefined }) }))).toMatch(
        /signature or age/,
      );
    }
    expect(await refusal(check({ proof: await proof(key, { jti: 'short' }) }))).toMatch(/jti/);
    // Within the 30 s tolerance either way, and up to 60 s old, it passes.
    await check({ proof: await proof(key, { iat: nowSeconds + 25 }) });
    await check({ proof: await proof(key, { iat: nowSeconds - 55 }) });
  });

  it('refuses a proof made for another method or URL', async () => {
    const key = await deviceKey();
    expect(await refusal(check({ proof: await proof(key, { htm: 'POST' }) }))).toMatch(/method/);
    for (const htu of [
      `${BASE}/v1/consents/other`,
      'https://records.example.cn.evil.example/v1/consents',
      'http://records.example.cn/v1/consents',
      'https://portal.example.cn/api/identity/v1/consents',
      'not a url',
    ]) {
      expect(await refusal(check({ proof: await proof(key, { htu }) })), htu).toMatch(/URL/);
    }
  });

  it('refuses every proof whose claims were edited after signing (property)', async () => {
    const key = await deviceKey();
    const valid = await proof(key, { ath: ath('t') });
    const [head, body, signature] = valid.split('.') as [string, string, string];
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(body)));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('htm', 'htu', 'iat', 'jti', 'ath'),
        fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        async (claim, value) => {
          fc.pre(claims[claim] !== value);
          const edited = base64url.encode(JSON.stringify({ ...claims, [claim]: value }));
          await refusal(
            check({ proof: `${head}.${edited}.${signature}`, accessToken: 't', jkt: key.jkt }),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses every proof whose signature was changed (property)', async () => {
    const key = await deviceKey('EdDSA');
    const valid = await proof(key);
    const [head, body, signature] = valid.split('.') as [string, string, string];
    const bytes = base64url.decode(signature);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, mask) => {
          const changed = Uint8Array.from(bytes);
          changed[at] = (changed[at] ?? 0) ^ mask;
          await refusal(check({ proof: `${head}.${body}.${base64url.encode(changed)}` }));
        },
      ),
      { numRuns: 60 },
    );
  });
});
