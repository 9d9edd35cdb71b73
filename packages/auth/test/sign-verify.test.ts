import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type AccessTokenSubjectClaims,
  localKeyResolver,
  signAccessToken,
  verifyAccessToken,
} from '../src/index.js';
import {
  AUDIENCE,
  clientClaims,
  ISSUER,
  makeKey,
  NOW,
  residentClaims,
  sign,
  staffClaims,
} from './helpers/keys.js';

const key = await makeKey();
const resolver = localKeyResolver({ keys: [key.publicJwk] });
const verify = (token: string, now = NOW) =>
  verifyAccessToken(token, { resolver, issuer: ISSUER, audience: AUDIENCE, now });
const secondsLater = (s: number) => new Date(NOW.getTime() + s * 1000);

describe('signAccessToken', () => {
  it('writes the RFC 9068 header and claims with a 15-minute lifetime and a random jti', async () => {
    const token = await sign(key);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid });
    const payload = decodeJwt(token);
    const iat = NOW.getTime() / 1000;
    expect(payload).toMatchObject({ ...staffClaims, iss: ISSUER, aud: AUDIENCE, iat });
    expect(payload.exp).toBe(iat + 900);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(decodeJwt(await sign(key)).jti).not.toBe(payload.jti);
  });

  it('honours ttlSeconds and an audience list', async () => {
    const token = await sign(key, staffClaims, { ttlSeconds: 60, audience: [AUDIENCE, 'other'] });
    const payload = decodeJwt(token);
    expect(payload.exp).toBe(NOW.getTime() / 1000 + 60);
    expect(payload.aud).toEqual([AUDIENCE, 'other']);
  });

  it('signs with a Node KeyObject as well as a CryptoKey', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'node-key' };
    const token = await signAccessToken({
      key: privateKey,
      kid: 'node-key',
      issuer: ISSUER,
      audience: AUDIENCE,
      claims: clientClaims,
      now: NOW,
    });
    const actor = await verifyAccessToken(token, {
      resolver: localKeyResolver({ keys: [jwk] }),
      issuer: ISSUER,
      audience: AUDIENCE,
      now: NOW,
    });
    expect(actor.subject).toBe(clientClaims.sub);
  });

  it('refuses claims that no verifier would accept', async () => {
    const bad = [
      { ...staffClaims, roles: ['wizard'] },
      { ...staffClaims, department: 'Civil Affairs' },
      { ...residentClaims, roles: ['system_admin'] },
      { ...staffClaims, scope: 'double  space' },
    ] as unknown as AccessTokenSubjectClaims[];
    for (const claims of bad) {
      await expect(sign(key, claims)).rejects.toThrow(TypeError);
    }
    await expect(sign(key, staffClaims, { ttlSeconds: 0 })).rejects.toThrow(TypeError);
    await expect(
      signAccessToken({
        key: key.privateKey,
        kid: 'k'.repeat(65),
        issuer: ISSUER,
        audience: AUDIENCE,
        claims: staffClaims,
        now: NOW,
      }),
    ).rejects.toThrow(TypeError);
  });
});

describe('verifyAccessToken', () => {
  it('returns the staff actor the token speaks for', async () => {
    const token = await sign(key);
    const actor = await verify(token);
    expect(actor).toEqual({
      kind: 'staff',
      subject: 'staff-0001',
      department: 'civil_affairs',
      roles: ['case_officer'],
      scopes: new Set(['cases:read', 'cases:decide']),
      clientId: 'portal',
      tokenId: decodeJwt(token).jti,
      expiresAt: secondsLater(900),
    });
  });

  it('returns client and resident actors, carrying the DPoP key thumbprint', async () => {
    expect(await verify(await sign(key, clientClaims))).toMatchObject({
      kind: 'client',
      department: 'tax_bureau',
      roles: ['records_reader'],
    });
    const device = await makeKey();
    const jkt = await calculateJwkThumbprint(device.publicJwk);
    const resident = await verify(await sign(key, { ...residentClaims, cnf: { jkt } }));
    expect(resident).toMatchObject({
      kind: 'resident',
      roles: ['resident'],
      dpopKeyThumbprint: jkt,
    });
    expect(resident.department).toBeUndefined();
  });

  it('treats an empty scope as no scopes', async () => {
    const actor = await verify(await sign(key, { ...staffClaims, scope: '' }));
    expect(actor.scopes.size).toBe(0);
  });

  it('accepts up to 30 s of clock skew on either side', async () => {
    const token = await sign(key);
    await expect(verify(token, secondsLater(900 + 29))).resolves.toMatchObject({ kind: 'staff' });
    await expect(verify(token, secondsLater(-29))).resolves.toMatchObject({ kind: 'staff' });
    await expect(verify(token, secondsLater(900 + 31))).rejects.toMatchObject({
      code: 'unauthorized',
      reason: 'expired',
    });
    await expect(verify(token, secondsLater(-31))).rejects.toMatchObject({
      code: 'unauthorized',
      reason: 'claims_invalid',
    });
  });

  it('accepts the application/at+jwt spelling of typ (RFC 9068 §4)', async () => {
    const { SignJWT } = await import('jose');
    const token = await new SignJWT({
      ...staffClaims,
      jti: 'a'.repeat(22),
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 60,
    })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'application/at+jwt', kid: key.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(key.privateKey);
    await expect(verify(token)).resolves.toMatchObject({ subject: 'staff-0001' });
  });
});
