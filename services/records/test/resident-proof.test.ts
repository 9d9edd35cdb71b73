import { randomBytes } from 'node:crypto';
import type { ServiceInstance } from '@tongban/service-kit';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { PUBLIC_URL, startTestApp, type TestApp } from './helpers/app.js';
import { testDevice, testResident } from './helpers/resident.js';
import { type SharedDatabase, sharedDatabase } from './helpers/shared-database.js';

// One clock for the file: the service, every token and every proof read it.
let now = Date.parse('2030-03-01T08:00:00Z');
const clock = () => new Date(now);

const GATEWAY = 'http://portal.test/api/records';
const PROBE = '/v1/probe/:id';

describe('the DPoP proof on every route a resident token reaches', () => {
  let shared: SharedDatabase;
  let replicaA: ServiceInstance;
  let replicaB: ServiceInstance;
  let issuer: TestIssuer;

  // Two replicas on one database, as in production: a proof one accepted, the other refuses.
  const build = async () => {
    const app = await buildApp({
      config: loadConfig(
        {
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          RECORDS_PUBLIC_URLS: `${PUBLIC_URL},${GATEWAY}`,
        },
        process.cwd(),
      ),
      database: await shared.open(),
      clock,
      keyResolver: issuer.keyResolver,
      masterKey: randomBytes(32),
      webhookWorker: false,
    });
    // A route added after the hook, as any later resident route is: it declares no proof check
    // of its own and still gets one.
    app.get(PROBE, { config: { auth: { kinds: ['resident'] } } }, async (request) => ({
      subject: request.actor?.subject,
    }));
    return app;
  };

  beforeAll(async () => {
    shared = await sharedDatabase();
    issuer = await testIssuer(clock);
    replicaA = await build();
    replicaB = await build();
  });
  afterAll(async () => {
    await replicaA?.close();
    await replicaB?.close();
    await shared?.close();
  });

  const url = '/v1/probe/42?view=full';
  const get = (headers: Record<string, string>, app = replicaA, method: 'GET' | 'HEAD' = 'GET') =>
    app.inject({ method, url, headers });

  function expectProofRefused(res: Awaited<ReturnType<typeof get>>, detail?: RegExp) {
    expect(res.statusCode, res.body).toBe(401);
    expect(res.json().code).toBe('invalid_dpop_proof');
    expect(res.headers['www-authenticate']).toBe(
      'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"',
    );
    if (detail) expect(res.json().detail).toMatch(detail);
  }

  it('lists the route among those a resident token reaches', () => {
    expect(replicaA.residentRoutes).toContain(`GET ${PROBE}`);
  });

  it('passes a valid proof, on the service’s own URL or through the portal gateway', async () => {
    const alice = await testResident(issuer, clock);
    const direct = await get(await alice.headersFor('GET', url));
    expect(direct.statusCode, direct.body).toBe(200);
    expect(direct.json()).toEqual({ subject: alice.subject });
    const viaPortal = await get({
      authorization: `DPoP ${alice.token}`,
      dpop: await alice.device.proof('GET', url, { accessToken: alice.token, baseUrl: GATEWAY }),
    });
    expect(viaPortal.statusCode, viaPortal.body).toBe(200);
  });

  it('refuses a resident token without a proof, with the DPoP challenge', async () => {
    const alice = await testResident(issuer, clock);
    expectProofRefused(await get({ authorization: `DPoP ${alice.token}` }), /needs a DPoP proof/);
    expectProofRefused(await get({ authorization: `DPoP ${alice.token}`, dpop: 'garbage' }));
  });

  it('refuses a replayed proof, on the same replica and on another one', async () => {
    const alice = await testResident(issuer, clock);
    const headers = await alice.headersFor('GET', url);
    expect((await get(headers, replicaA)).statusCode).toBe(200);
    expectProofRefused(await get(headers, replicaA), /already used/);
    expectProofRefused(await get(headers, replicaB), /already used/);
  });

  it('refuses a proof made for another URL or method', async () => {
    const alice = await testResident(issuer, clock);
    const made = (method: string, path: string, baseUrl?: string) =>
      alice.device.proof(method, path, {
        accessToken: alice.token,
        ...(baseUrl ? { baseUrl } : {}),
      });
    const auth = { authorization: `DPoP ${alice.token}` };
    expectProofRefused(await get({ ...auth, dpop: await made('GET', '/v1/probe/43') }), /URL/);
    expectProofRefused(
      await get({ ...auth, dpop: await made('GET', url, 'http://elsewhere.test') }),
      /URL/,
    );
    expectProofRefused(
      await get({ ...auth, dpop: await made('GET', url, 'http://portal.test/api/identity') }),
      /URL/,
    );
    expectProofRefused(await get({ ...auth, dpop: await made('POST', url) }), /method/);
  });

  it('refuses a proof signed by another key than the token’s cnf.jkt', async () => {
    const alice = await testResident(issuer, clock);
    const mallory = await testDevice(clock);
    expectProofRefused(
      await get({
        authorization: `DPoP ${alice.token}`,
        dpop: await mallory.proof('GET', url, { accessToken: alice.token }),
      }),
      /another key/,
    );
  });

  it('refuses a proof not bound to this token (no ath, or another token’s)', async () => {
    const alice = await testResident(issuer, clock);
    const other = await issuer.resident(alice.subject, { jkt: alice.device.jkt });
    const auth = { authorization: `DPoP ${alice.token}` };
    expectProofRefused(
      await get({ ...auth, dpop: await alice.device.proof('GET', url) }),
      /ath|bound/,
    );
    expectProofRefused(
      await get({ ...auth, dpop: await alice.device.proof('GET', url, { accessToken: other }) }),
      /bound/,
    );
  });

  it('refuses a stale proof and one dated in the future', async () => {
    const alice = await testResident(issuer, clock);
    const auth = { authorization: `DPoP ${alice.token}` };
    for (const offset of [-120_000, 120_000]) {
      const dpop = await alice.device.proof('GET', url, {
        accessToken: alice.token,
        now: new Date(now + offset),
      });
      expectProofRefused(await get({ ...auth, dpop }));
    }
    // A proof made now is stale once the service clock has moved on two minutes.
    const made = await alice.headersFor('GET', url);
    now += 120_000;
    expectProofRefused(await get(made));
  });

  it('refuses the bound token sent as a bearer token (downgrade), whatever the proof', async () => {
    const alice = await testResident(issuer, clock);
    const { dpop } = await alice.headersFor('GET', url);
    const res = await get({ authorization: `Bearer ${alice.token}`, dpop });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('refuses a resident token bound to no device key', async () => {
    const unbound = await issuer.resident(`subject-${randomBytes(4).toString('hex')}`);
    const device = await testDevice(clock);
    expectProofRefused(
      await get({
        authorization: `Bearer ${unbound}`,
        dpop: await device.proof('GET', url, { accessToken: unbound }),
      }),
      /bound to a device key/,
    );
  });

  it('does not ask staff or department systems for a proof', async () => {
    // The probe admits residents only: staff get 403 from the route's rule, not a proof demand.
    const res = await get({ authorization: `Bearer ${await issuer.staff('health', ['auditor'])}` });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
  });
});

// Enumerated from the app's own route table: a resident route added later is walked too.
describe('every route of records that admits a resident token', () => {
  let t: TestApp;
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer(clock);
    t = await startTestApp({}, { keyResolver: issuer.keyResolver, clock });
  });
  afterAll(() => t.close());

  const pathOf = (route: string) => {
    const [method = '', url = ''] = route.split(' ');
    return { method, url, openapi: url.replace(/:([A-Za-z]+)/g, '{$1}') };
  };

  it('includes the consent routes', () => {
    expect(t.app.residentRoutes).toEqual(
      expect.arrayContaining(['GET /v1/consents', 'POST /v1/consents', 'DELETE /v1/consents/:id']),
    );
  });

  it('refuses the resident’s token without a proof, and with a proof for another route', async () => {
    const alice = await testResident(issuer, clock);
    for (const route of t.app.residentRoutes) {
      const { method, url } = pathOf(route);
      // Any id will do: the proof is checked before the route looks at its parameters or body.
      const concrete = url.replace(/:[A-Za-z]+/g, '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e1');
      const inject = (headers: Record<string, string>) =>
        t.app.inject({ method: method as 'GET', url: concrete, headers });
      const bare = await inject({ authorization: `DPoP ${alice.token}` });
      expect(bare.statusCode, route).toBe(401);
      expect(bare.json().code, route).toBe('invalid_dpop_proof');
      expect(bare.headers['www-authenticate'], route).toMatch(/^DPoP error="invalid_dpop_proof"/);
      const elsewhere = await inject(await alice.headersFor(method, '/v1/elsewhere'));
      expect(elsewhere.statusCode, route).toBe(401);
      expect(elsewhere.json().code, route).toBe('invalid_dpop_proof');
    }
  });

  it('documents the DPoP header (with `ath` and RECORDS_PUBLIC_URLS) and invalid_dpop_proof', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const route of t.app.residentRoutes) {
      const { method, openapi } = pathOf(route);
      const operation = doc.paths[openapi]?.[method.toLowerCase()];
      const header = operation?.parameters?.find(
        (p: { in: string; name: string }) => p.in === 'header' && p.name === 'dpop',
      );
      expect(header?.description, route).toContain('`ath`');
      expect(header?.description, route).toContain('RECORDS_PUBLIC_URLS');
      expect(header?.description, route).not.toContain('IDENTITY_PUBLIC_URLS');
      expect(operation.responses['401']['x-codes'], route).toContain('invalid_dpop_proof');
    }
  });
});

describe('RECORDS_PUBLIC_URLS', () => {
  it('defaults to records’ own address and the portal’s /api/records', () => {
    expect(loadConfig({}, '/srv').publicUrls).toEqual([
      'http://127.0.0.1:3003',
      'http://127.0.0.1:3000/api/records',
    ]);
  });

  it('strips trailing slashes and refuses what is not an http(s) URL', () => {
    expect(
      loadConfig(
        { RECORDS_PUBLIC_URLS: 'https://records.city.gov/, https://city.gov/api/records' },
        '/srv',
      ).publicUrls,
    ).toEqual(['https://records.city.gov', 'https://city.gov/api/records']);
    expect(() => loadConfig({ RECORDS_PUBLIC_URLS: 'records.city.gov' }, '/srv')).toThrow(
      /RECORDS_PUBLIC_URLS: not an http\(s\) URL/,
    );
    expect(() => loadConfig({ RECORDS_PUBLIC_URLS: ' , ' }, '/srv')).toThrow(
      /RECORDS_PUBLIC_URLS: names no URL/,
    );
  });
});
