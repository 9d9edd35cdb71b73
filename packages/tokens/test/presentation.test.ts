import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  deviceKeyId,
  issuePresentationToken,
  keyThumbprint,
  PRESENTATION_TOKEN_BUDGET,
  type TokenErrorCode,
  verifyPresentationToken,
} from '../src/index.js';
import {
  fixedResolver,
  type IssuerKey,
  makeDeviceKeyId,
  makeIssuerKey,
  makeSubject,
  resolverFor,
} from './helpers/keys.js';

const NOW = new Date('2026-03-02T09:30:00.000Z');

let issuer: IssuerKey;
let device: string;

beforeAll(async () => {
  issuer = await makeIssuerKey();
  device = await makeDeviceKeyId();
});

function issue(overrides: Partial<Parameters<typeof issuePresentationToken>[0]> = {}) {
  return issuePresentationToken({
    key: issuer.privateKey,
    kid: issuer.kid,
    issuer: 'tb',
    subject: makeSubject(),
    statusIndex: 123_456,
    deviceKeyId: device,
    now: NOW,
    ...overrides,
  });
}

function verify(
  token: string,
  overrides: Partial<Parameters<typeof verifyPresentationToken>[1]> = {},
) {
  return verifyPresentationToken(token, {
    resolver: resolverFor(issuer),
    issuer: 'tb',
    now: NOW,
    ...overrides,
  });
}

async function codeOf(promise: Promise<unknown>): Promise<TokenErrorCode | 'accepted'> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as { code: TokenErrorCode }).code;
  }
}

describe('issuePresentationToken', () => {
  it('signs exactly the header and claims of the format', async () => {
    const subject = makeSubject();
    const { token, jti, expiresAt } = await issue({ subject, statusIndex: 7 });

    expect(decodeProtectedHeader(token)).toStrictEqual({
      alg: 'EdDSA',
      typ: 'tb-presentation+jwt',
      kid: issuer.kid,
    });
    const iat = Math.floor(NOW.getTime() / 1000);
    expect(decodeJwt(token)).toStrictEqual({
      iss: 'tb',
      sub: subject,
      jti,
      iat,
      exp: iat + 60,
      sl: 7,
      cnf: { kid: device },
    });
    expect(jti).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(expiresAt).toStrictEqual(new Date((iat + 60) * 1000));
  });

  it('stays within 400 characters with a realistic issuer and a 6-digit index', async () => {
    const lengths: number[] = [];
    for (const statusIndex of [100_000, 654_321, 999_999]) {
      const { token } = await issue({ statusIndex });
      lengths.push(token.length);
      expect(token.length).toBeLessThanOrEqual(PRESENTATION_TOKEN_BUDGET);
    }
    console.info(
      `presentation token length with iss "tb" and a 6-digit index: ${lengths.join(', ')}`,
    );
  });

  it('stays within 400 characters up to index 99,999,999', async () => {
    const { token } = await issue({ statusIndex: 99_999_999 });
    console.info(`presentation token length with an 8-digit index: ${token.length}`);
    expect(token.length).toBeLessThanOrEqual(PRESENTATION_TOKEN_BUDGET);
  });

  it('refuses to produce a token over the budget', async () => {
    await expect(codeOf(issue({ issuer: 'https://identity.tongban.example' }))).resolves.toBe(
      'validation_failed',
    );
  });

  it('uses 96 fresh random bits for every jti', async () => {
    const jtis = new Set<string>();
    for (let i = 0; i < 50; i++) jtis.add((await issue()).jti);
    expect(jtis.size).toBe(50);
  });

  it('honours a custom ttl and jti', async () => {
    const { token, jti } = await issue({ ttlSeconds: 30, jti: 'AAAAAAAAAAAAAAAA' });
    expect(jti).toBe('AAAAAAAAAAAAAAAA');
    const claims = decodeJwt(token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(30);
  });

  it.each([
    ['a subject that is not 96 bits of base64url', { subject: 'ID-110101199001011234' }],
    ['a negative status index', { statusIndex: -1 }],
    ['a fractional status index', { statusIndex: 1.5 }],
    ['a device key id of the wrong size', { deviceKeyId: 'abc' }],
    ['an empty issuer', { issuer: '' }],
    ['a zero ttl', { ttlSeconds: 0 }],
    ['an invalid date', { now: new Date(Number.NaN) }],
  ])('refuses %s with validation_failed', async (_, overrides) => {
    await expect(codeOf(issue(overrides))).resolves.toBe('validation_failed');
  });

  it('refuses a key that is not an Ed25519 private key with validation_failed', async () => {
    const p256 = await generateKeyPair('ES256');
    await expect(codeOf(issue({ key: p256.privateKey }))).resolves.toBe('validation_failed');
    await expect(codeOf(issue({ key: issuer.publicKey }))).resolves.toBe('validation_failed');
  });

  it('signs with a Node KeyObject as well as a CryptoKey', async () => {
    const pair = generateKeyPairSync('ed25519');
    const kid = await keyThumbprint(await exportJWK(pair.publicKey));
    const { token } = await issue({ key: pair.privateKey, kid });
    const verified = await verify(token, { resolver: fixedResolver(pair.publicKey) });
    expect(verified.header.kid).toBe(kid);
  });
});

describe('deviceKeyId', () => {
  it('is the first 8 bytes of the RFC 7638 thumbprint, base64url', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwk = await exportJWK(publicKey);
    const thumbprint = Buffer.from(await keyThumbprint(jwk), 'base64url');
    const id = await deviceKeyId(jwk);
    expect(id).toHaveLength(11);
    expect(id).toBe(thumbprint.subarray(0, 8).toString('base64url'));
  });

  it('matches the RFC 7638 §3.1 example key', async () => {
    // RFC 7638 §3.1: this RSA key's thumbprint is NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
    };
    expect(await keyThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(await deviceKeyId(jwk)).toBe(
      Buffer.from('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', 'base64url')
        .subarray(0, 8)
        .toString('base64url'),
    );
  });
});

describe('verifyPresentationToken', () => {
  it('returns the header and claims of a genuine token', async () => {
    const subject = makeSubject();
    const { token, jti } = await issue({ subject, statusIndex: 42 });
    const { header, claims } = await verify(token);
    expect(header).toStrictEqual({ alg: 'EdDSA', typ: 'tb-presentation+jwt', kid: issuer.kid });
    expect(claims).toMatchObject({ iss: 'tb', sub: subject, jti, sl: 42, cnf: { kid: device } });
  });

  it('refuses a token of another issuer id with signature_invalid', async () => {
    const { token } = await issue();
    await expect(codeOf(verify(token, { issuer: 'other' }))).resolves.toBe('signature_invalid');
  });

  it('refuses a token whose key is unknown with unknown_key', async () => {
    const { token } = await issue();
    await expect(codeOf(verify(token, { resolver: fixedResolver(undefined) }))).resolves.toBe(
      'unknown_key',
    );
  });

  it('reports a failing key resolver as unknown_key, not as a crash', async () => {
    const { token } = await issue();
    const resolver = { resolve: () => Promise.reject(new Error('JWKS endpoint down')) };
    await expect(codeOf(verify(token, { resolver }))).resolves.toBe('unknown_key');
  });

  it('refuses a token that lives longer than maxTtlSeconds with malformed_token', async () => {
    const { token } = await issue({ ttlSeconds: 3600 });
    await expect(codeOf(verify(token))).resolves.toBe('malformed_token');
    await expect(codeOf(verify(token, { maxTtlSeconds: 3600 }))).resolves.toBe('accepted');
  });

  describe('clock', () => {
    const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

    it('refuses a token 61 s after issue once no skew is allowed', async () => {
      const { token } = await issue();
      await expect(codeOf(verify(token, { now: at(60), clockToleranceSeconds: 0 }))).resolves.toBe(
        'accepted',
      );
      await expect(codeOf(verify(token, { now: at(61), clockToleranceSeconds: 0 }))).resolves.toBe(
        'presentation_expired',
      );
    });

    it('allows 30 s of skew on either side and not a millisecond more', async () => {
      const { token } = await issue();
      const cases: Array<[number, string]> = [
        [-30.001, 'presentation_not_yet_valid'],
        [-30, 'accepted'],
        [0, 'accepted'],
        [90, 'accepted'],
        [90.001, 'presentation_expired'],
        [91, 'presentation_expired'],
      ];
      for (const [offset, expected] of cases) {
        await expect(codeOf(verify(token, { now: at(offset) })), `at ${offset} s`).resolves.toBe(
          expected,
        );
      }
    });
  });
});
