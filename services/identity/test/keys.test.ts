import { SigningKeyStore } from '@tongban/keys';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeys } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  adminToken,
  bearer,
  clerkIn,
  presentation,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

describe('signing key rotation', () => {
  let t: TestApp;
  let admin: string;
  let clerk: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
    clerk = (await clerkIn(t.app, admin)).token;
  });
  afterAll(() => t.close());

  const jwks = async () =>
    (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json().keys as {
      kid: string;
    }[];
  const rotate = () =>
    t.app.inject({ method: 'POST', url: '/v1/keys/rotate', headers: bearer(admin) });

  it('publishes the JWKS with cache headers and RFC 7638 kids', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.headers['cache-control']).toBe('public, max-age=10');
    const [key] = res.json().keys;
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key.d).toBeUndefined();
  });

  it('keeps verifying tokens signed before a rotation; new tokens carry the new kid', async () => {
    const r = await residentWithDevice(t, clerk);
    const before = await presentation(t.app, r.device, r.token);
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await rotate();
    expect(rotated.statusCode).toBe(200);
    const { kid: newKid, retired } = rotated.json();
    expect(newKid).not.toBe(oldKid);
    expect(retired).toEqual([oldKid]);
    expect((await jwks()).map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());

    const after = await presentation(t.app, r.device, r.token);
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    expect((await verify(t.app, clerk, before)).statusCode).toBe(200);
    expect((await verify(t.app, clerk, after)).statusCode).toBe(200);

    // The resident's access token was signed by the old key too, and still works.
    expect((await presentation(t.app, r.device, r.token)).length).toBeGreaterThan(0);
  });

  it('drops a retired key from the JWKS once everything it signed has expired', async () => {
    const oldKid = (await rotate()).json().retired[0] as string;
    expect((await jwks()).map((k) => k.kid)).toContain(oldKid);
    t.clock.advance(16 * 60_000);
    try {
      const kids = (await jwks()).map((k) => k.kid);
      expect(kids).not.toContain(oldKid);
      expect(kids).toHaveLength(1);
    } finally {
      t.clock.advance(-16 * 60_000);
    }
  });

  it('makes tokens of a key removed early fail with unknown_key', async () => {
    const r = await residentWithDevice(t, clerk);
    const minted = await presentation(t.app, r.device, r.token);
    const kid = decodeProtectedHeader(minted).kid as string;
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/keys/${kid}/revoke`,
      headers: bearer(admin),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kid, revoked: true });
    expect(res.json().newKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await jwks()).map((k) => k.kid)).not.toContain(kid);

    const refused = await verify(t.app, clerk, minted);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('unknown_key');
  });

  it('refuses rotation to anyone but a system administrator', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/keys/rotate',
      headers: bearer(clerk),
    });
    expect(res.statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/v1/keys/rotate' })).statusCode).toBe(401);
  });

  it('rotates by age: a key older than SIGNING_KEY_MAX_AGE_DAYS is replaced at the next check', async () => {
    const aged = await startTestApp({ SIGNING_KEY_MAX_AGE_DAYS: '1' });
    try {
      const first = (await aged.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
        .keys;
      expect(first).toHaveLength(1);
      const store = new SigningKeyStore({
        db: aged.database.db,
        table: signingKeys,
        lockName: 'tongban.identity.signing-keys',
        keyEncryptionKey: Buffer.alloc(32),
        clock: () => new Date(aged.clock().getTime() + 2 * 86_400_000),
        overlapMs: 60_000,
        maxAgeMs: 86_400_000,
      });
      await store.ensureActiveKey();
      const kids = (await store.jwks()).keys.map((k) => k.kid);
      expect(kids).toContain(first[0].kid);
      expect(kids).toHaveLength(2);
      await store.ensureActiveKey(); // a second replica checking the same hour adds nothing
      expect((await store.jwks()).keys).toHaveLength(2);
    } finally {
      await aged.close();
    }
  });
});
