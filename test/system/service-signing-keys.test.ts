import { localKeyResolver, signAccessToken } from '@tongban/auth';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig as loadRecordsConfig } from '../../services/records/src/config.js';
import { startTestApp as startRecords } from '../../services/records/test/helpers/app.js';
import { loadConfig as loadWorkflowConfig } from '../../services/workflow/src/config.js';
import { startTestApp as startWorkflow } from '../../services/workflow/test/helpers/app.js';

// Records and workflow sign with keys of their own (@tongban/keys); both serve and manage them
// the same way, so one suite runs against each.
const SERVICES = [
  { name: 'records', start: startRecords, loadConfig: loadRecordsConfig },
  { name: 'workflow', start: startWorkflow, loadConfig: loadWorkflowConfig },
] as const;

type TestApp = Awaited<ReturnType<(typeof SERVICES)[number]['start']>>;

describe.each(SERVICES)('$name signing keys', ({ start }) => {
  // A stand-in for identity's access-token key, handed to the service as its resolver.
  let identityKey: CryptoKey;
  let identityKid: string;
  let t: TestApp;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    identityKey = pair.privateKey;
    const jwk = await exportJWK(pair.publicKey);
    identityKid = await calculateJwkThumbprint(jwk);
    t = await start(
      {},
      { keyResolver: localKeyResolver({ keys: [{ ...jwk, kid: identityKid, alg: 'EdDSA' }] }) },
    );
  });
  afterAll(() => t.close());

  const staffToken = (roles: string[]) =>
    signAccessToken({
      key: identityKey,
      kid: identityKid,
      issuer: 'tb',
      audience: 'tongban',
      claims: {
        kind: 'staff',
        sub: `staff-${roles.join('-') || 'none'}`,
        client_id: 'tongban-portal',
        department: 'civil_affairs',
        roles: roles as never,
        scope: '',
      },
      now: new Date(),
    });
  const jwks = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    return res;
  };

  it('serves its own JWKS, cacheable, whose key verifies what the service signs', async () => {
    const res = await jwks();
    expect(res.headers['cache-control']).toBe('public, max-age=10');
    const keys = res.json().keys as JWK[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys[0]?.d).toBeUndefined();
    expect(keys[0]?.kid).not.toBe(identityKid);

    const token = await t.keys.sign({
      typ: 'tb-test+jwt',
      payload: { sub: 'checkpoint', size: 7 },
      expiresInSeconds: 300,
    });
    expect(decodeProtectedHeader(token).kid).toBe(keys[0]?.kid);
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys }), {
      algorithms: ['EdDSA'],
      typ: 'tb-test+jwt',
    });
    expect(payload).toMatchObject({ sub: 'checkpoint', size: 7 });
  });

  it('refuses rotation and revocation to an anonymous caller (401) and to a non-administrator (403)', async () => {
    const kid = (await jwks()).json().keys[0].kid as string;
    const clerk = await staffToken(['department_admin']);
    for (const url of ['/v1/keys/rotate', `/v1/keys/${kid}/revoke`]) {
      const anonymous = await t.app.inject({ method: 'POST', url });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
      const forbidden = await t.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${clerk}` },
      });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().code).toBe('forbidden');
    }
    expect((await jwks()).json().keys.map((k: JWK) => k.kid)).toEqual([kid]);
  });

  it('lets a system administrator rotate, then revoke the retired key at once', async () => {
    const admin = { authorization: `Bearer ${await staffToken(['system_admin'])}` };
    const oldKid = (await jwks()).json().keys[0].kid as string;
    const signedBefore = await t.keys.sign({
      typ: 'tb-test+jwt',
      payload: {},
      expiresInSeconds: 60,
    });

    const rotated = await t.app.inject({ method: 'POST', url: '/v1/keys/rotate', headers: admin });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().retired).toEqual([oldKid]);
    const newKid = rotated.json().kid as string;
    expect(
      (await jwks())
        .json()
        .keys.map((k: JWK) => k.kid)
        .sort(),
    ).toEqual([oldKid, newKid].sort());

    const revoked = await t.app.inject({
      method: 'POST',
      url: `/v1/keys/${oldKid}/revoke`,
      headers: admin,
    });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ kid: oldKid, revoked: true });
    const keys = (await jwks()).json().keys as JWK[];
    expect(keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(
      jwtVerify(signedBefore, createLocalJWKSet({ keys }), { algorithms: ['EdDSA'] }),
    ).rejects.toThrow();

    const again = await t.app.inject({
      method: 'POST',
      url: `/v1/keys/${oldKid}/revoke`,
      headers: admin,
    });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('not_found');
  });
});

describe.each(SERVICES)('$name configuration', ({ name, loadConfig }) => {
  const variable = `${name.toUpperCase()}_MASTER_KEY`;
  it('refuses to start in production without its own master key, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, process.cwd())).toThrow(
      new RegExp(`${variable}: required in production`),
    );
  });

  it('needs no master key in development or tests', () => {
    expect(loadConfig({ NODE_ENV: 'development' }, process.cwd()).masterKey).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test' }, process.cwd()).masterKey).toBeUndefined();
  });
});
