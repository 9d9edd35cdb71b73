import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  adminToken,
  asResident,
  clerkIn,
  type Device,
  residentWithDevice,
} from './helpers/flow.js';

let t: TestApp;
let clerk: string;

beforeAll(async () => {
  t = await startTestApp();
  clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
});
afterAll(() => t.close());

type Resident = Awaited<ReturnType<typeof residentWithDevice>>;

/**
 * How to call each route that admits a resident token, for a resident who owns the data. A route
 * that admits residents and is missing here fails the test: a new resident route cannot skip the
 * proof checks below.
 */
const CALLS: Record<
  string,
  (r: Resident) => { method: 'GET' | 'POST'; url: string; payload?: Record<string, unknown> }
> = {
  'GET /v1/me/verifications': () => ({ method: 'GET', url: '/v1/me/verifications' }),
  'GET /v1/me/devices': () => ({ method: 'GET', url: '/v1/me/devices' }),
  'GET /v1/me/events': () => ({ method: 'GET', url: '/v1/me/events' }),
  'POST /v1/me/devices/:deviceId/revoke': (r) => ({
    method: 'POST',
    url: `/v1/me/devices/${r.deviceId}/revoke`,
  }),
  'POST /v1/presentations': () => ({ method: 'POST', url: '/v1/presentations', payload: {} }),
};

function send(
  r: Resident,
  call: { method: 'GET' | 'POST'; url: string; payload?: Record<string, unknown> },
  dpop: string | undefined,
) {
  return t.app.inject({
    method: call.method,
    url: call.url,
    headers: { authorization: `DPoP ${r.token}`, ...(dpop === undefined ? {} : { dpop }) },
    ...(call.payload === undefined ? {} : { payload: call.payload }),
  });
}

function expectProofRefused(res: Awaited<ReturnType<typeof send>>) {
  expect(res.statusCode).toBe(401);
  expect(res.json().code).toBe('invalid_dpop_proof');
  expect(res.headers['www-authenticate']).toMatch(/^DPoP error="invalid_dpop_proof"/);
}

describe('every route that admits a resident token', () => {
  it('is listed here, so none escapes the proof checks', () => {
    expect(t.app.residentRoutes.length).toBeGreaterThan(0);
    expect(t.app.residentRoutes).toEqual(Object.keys(CALLS).sort());
  });

  it('documents invalid_dpop_proof in OpenAPI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const route of t.app.residentRoutes) {
      const [method = '', url = ''] = route.split(' ');
      const path = url.replace(/:([A-Za-z]+)/g, '{$1}');
      const codes = doc.paths[path][method.toLowerCase()].responses['401']['x-codes'];
      expect(codes, route).toContain('invalid_dpop_proof');
    }
  });

  // Enumerated from the app's own route table, not from this file's list.
  it('checks the device proof and the device on each of them (defect 1)', async () => {
    const other = await residentWithDevice(t, clerk);
    for (const route of t.app.residentRoutes) {
      const make = CALLS[route];
      if (make === undefined) throw new Error(`no call for ${route}`);
      const r = await residentWithDevice(t, clerk);
      const call = make(r);
      const path = call.url.split('?')[0] ?? call.url;
      const proof = (device: Device, options: Parameters<Device['proof']>[2] = {}) =>
        device.proof(call.method, path, { accessToken: r.token, ...options });
      const now = Math.floor(t.clock().getTime() / 1000);

      // No proof, then proofs that are wrong in one way each.
      expectProofRefused(await send(r, call, undefined));
      expectProofRefused(await send(r, call, 'garbage'));
      expectProofRefused(await send(r, call, 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'));
      expectProofRefused(await send(r, call, await proof(r.device, { iat: now - 120 })));
      expectProofRefused(await send(r, call, await proof(r.device, { iat: now + 120 })));
      expectProofRefused(await send(r, call, await proof(other.device)));
      expectProofRefused(await send(r, call, await proof(r.device, { accessToken: other.token })));
      expectProofRefused(
        await send(r, call, await r.device.proof(call.method, path)), // no ath at all
      );
      expectProofRefused(
        await send(
          r,
          call,
          await r.device.proof(call.method === 'GET' ? 'POST' : 'GET', path, {
            accessToken: r.token,
          }),
        ),
      );
      expectProofRefused(
        await send(
          r,
          call,
          await r.device.proof(call.method, '/v1/elsewhere', {
            accessToken: r.token,
          }),
        ),
      );
      // An unbound use of the same token is a downgrade (RFC 9449 §7.2).
      const asBearer = await t.app.inject({
        method: call.method,
        url: call.url,
        headers: { authorization: `Bearer ${r.token}`, dpop: await proof(r.device) },
        ...(call.payload === undefined ? {} : { payload: call.payload }),
      });
      expect(asBearer.statusCode, route).toBe(401);

      // The right proof passes, once.
      const valid = await proof(r.device);
      const ok = await send(r, call, valid);
      expect(ok.statusCode, `${route}: ${ok.body}`).toBeGreaterThanOrEqual(200);
      expect(ok.statusCode, route).toBeLessThan(300);
      expectProofRefused(await send(r, call, valid));

      // Once the device is revoked, its token is dead at once, whatever the proof.
      if (route !== 'POST /v1/me/devices/:deviceId/revoke') {
        const revoked = await asResident(t.app, r, 'POST', `/v1/me/devices/${r.deviceId}/revoke`);
        expect(revoked.statusCode).toBe(200);
      }
      const dead = await send(r, call, await proof(r.device));
      expect(dead.statusCode, route).toBe(401);
      expect(dead.json().code).toBe('unauthorized');
      expect(dead.headers['www-authenticate']).toBe('DPoP error="invalid_token"');
    }
  });

  it('refuses a resident token without its DPoP proof on GET /v1/me/verifications (defect 1)', async () => {
    const r = await residentWithDevice(t, clerk);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/me/verifications',
      headers: { authorization: `DPoP ${r.token}` },
    });
    expectProofRefused(res);
    expect((await asResident(t.app, r, 'GET', '/v1/me/verifications')).statusCode).toBe(200);
  });
});
