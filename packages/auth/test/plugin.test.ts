import { createService, type ServiceInstance } from '@tongban/service-kit';
import { calculateJwkThumbprint } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Actor,
  accessTokenAuth,
  hasRole,
  localKeyResolver,
  type RouteAuth,
  requireActor,
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
  type TestKey,
} from './helpers/keys.js';

let app: ServiceInstance;
let key: TestKey;
let deviceThumbprint: string;

const view = (actor: Actor | undefined) =>
  actor === undefined
    ? null
    : {
        kind: actor.kind,
        subject: actor.subject,
        department: actor.department ?? null,
        roles: actor.roles,
        scopes: [...actor.scopes],
      };

async function buildApp(): Promise<ServiceInstance> {
  const service = await createService({
    name: 'auth-test',
    version: '0.0.0',
    description: 'accessTokenAuth under test',
    readiness: async () => {},
    docs: false,
    config: {
      logLevel: 'silent',
      bodyLimit: 64 * 1024,
      rateLimit: { max: 10_000, windowMs: 60_000 },
      trustProxy: false,
    },
  });
  await service.register(accessTokenAuth, {
    resolver: localKeyResolver({ keys: [key.publicJwk] }),
    issuer: ISSUER,
    audience: AUDIENCE,
    now: () => NOW,
  });
  const route = (url: string, auth: RouteAuth | undefined) =>
    service.get(
      url,
      { config: auth === undefined ? { public: true } : { auth } },
      async (request) => ({
        actor: view(request.actor),
        rateLimitKey: request.rateLimitKey ?? null,
      }),
    );
  route('/v1/me', {});
  route('/v1/staff-only', { kinds: ['staff'] });
  route('/v1/decisions', { kinds: ['staff'], roles: ['case_officer', 'department_admin'] });
  route('/v1/audit', { roles: ['auditor'] });
  route('/v1/records', { scopes: ['records:read'] });
  route('/v1/cases/mine', { kinds: ['resident'], scopes: ['cases:read'] });
  route('/v1/track', { optional: true });
  route('/v1/public', undefined);
  service.get('/v1/strict', { config: { auth: { optional: true } } }, async (request) => {
    const actor = requireActor(request);
    return { subject: actor.subject, admin: hasRole(actor, 'system_admin') };
  });
  service.get('/v1/no-auth-config', { config: { public: true } }, async (request) => ({
    subject: requireActor(request).subject,
  }));
  return service;
}

beforeAll(async () => {
  key = await makeKey();
  deviceThumbprint = await calculateJwkThumbprint((await makeKey()).publicJwk);
  app = await buildApp();
  await app.ready();
});
afterAll(() => app.close());

const get = (url: string, authorization?: string) =>
  app.inject({
    method: 'GET',
    url,
    headers: authorization === undefined ? {} : { authorization },
  });

const bearer = async (...args: Parameters<typeof sign>) => `Bearer ${await sign(...args)}`;

describe('accessTokenAuth', () => {
  it('sets request.actor and a per-actor rate-limit key from a valid bearer token', async () => {
    const res = await get('/v1/me', await bearer(key));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      actor: {
        kind: 'staff',
        subject: 'staff-0001',
        department: 'civil_affairs',
        roles: ['case_officer'],
        scopes: ['cases:read', 'cases:decide'],
      },
      rateLimitKey: 'actor:staff-0001',
    });
  });

  it('accepts the scheme name in any case', async () => {
    const token = await sign(key);
    expect((await get('/v1/me', `bearer ${token}`)).statusCode).toBe(200);
    expect((await get('/v1/me', `BEARER ${token}`)).statusCode).toBe(200);
  });

  it('answers 401 problem+json with a bare Bearer challenge when no token is sent', async () => {
    const res = await get('/v1/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized', instance: '/v1/me' });
    expect(res.json().requestId).toBe(res.headers['x-request-id']);
  });

  it('treats an unsupported scheme as no credentials (RFC 6750 §3.1)', async () => {
    const res = await get('/v1/me', 'Basic dXNlcjpwYXNz');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it.each([
    ['a garbage token', 'Bearer not-a-jwt'],
    ['an empty token', 'Bearer '],
    ['two tokens', 'Bearer a.b.c d.e.f'],
  ])('answers 401 invalid_token for %s', async (_name, authorization) => {
    const res = await get('/v1/me', authorization);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.json()).toMatchObject({ code: 'unauthorized' });
  });

  it('answers 401 invalid_token for an expired token and one signed by a stranger', async () => {
    const expired = await bearer(key, staffClaims, { now: new Date(NOW.getTime() - 3_600_000) });
    const stranger = await bearer(await makeKey(key.kid));
    for (const authorization of [expired, stranger]) {
      const res = await get('/v1/me', authorization);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
  });

  it('answers 403 forbidden to the wrong kind of account', async () => {
    const res = await get('/v1/staff-only', await bearer(key, residentClaims));
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    expect(res.json()).toMatchObject({ status: 403, code: 'forbidden' });
    expect((await get('/v1/staff-only', await bearer(key))).statusCode).toBe(200);
  });

  it('answers 403 when the caller holds none of the roles', async () => {
    const clerk = { ...staffClaims, roles: ['counter_clerk' as const] };
    expect((await get('/v1/decisions', await bearer(key, clerk))).statusCode).toBe(403);
    expect((await get('/v1/audit', await bearer(key))).statusCode).toBe(403);
    const admin = { ...staffClaims, roles: ['department_admin' as const] };
    expect((await get('/v1/decisions', await bearer(key, admin))).statusCode).toBe(200);
  });

  it('answers 403 naming the scopes when one is missing', async () => {
    const res = await get('/v1/records', await bearer(key));
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="records:read"',
    );
    expect((await get('/v1/records', await bearer(key, clientClaims))).statusCode).toBe(200);
  });

  it('checks kind and scope together', async () => {
    const noScope = { ...residentClaims, scope: 'cases:submit' };
    expect((await get('/v1/cases/mine', await bearer(key, noScope))).statusCode).toBe(403);
    expect((await get('/v1/cases/mine', await bearer(key, residentClaims))).statusCode).toBe(200);
  });

  it('lets anonymous callers through optional routes, but still refuses a bad token', async () => {
    const anonymous = await get('/v1/track');
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json()).toEqual({ actor: null, rateLimitKey: null });

    const known = await get('/v1/track', await bearer(key, clientClaims));
    expect(known.json()).toMatchObject({
      actor: { kind: 'client', subject: 'client-tax-bureau' },
      rateLimitKey: 'actor:client-tax-bureau',
    });

    expect((await get('/v1/track', 'Bearer a.b.c')).statusCode).toBe(401);
  });

  it('leaves public routes alone, token or not', async () => {
    const res = await get('/v1/public', 'Bearer a.b.c');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ actor: null, rateLimitKey: null });
  });

  it('requireActor refuses with 401 where no actor was authenticated', async () => {
    const res = await get('/v1/strict');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect((await get('/v1/no-auth-config', await bearer(key))).statusCode).toBe(401);

    const ok = await get('/v1/strict', await bearer(key));
    expect(ok.json()).toEqual({ subject: 'staff-0001', admin: false });
  });

  describe('DPoP-bound tokens (RFC 9449)', () => {
    const bound = () => ({ ...residentClaims, cnf: { jkt: deviceThumbprint } });

    it('accepts a bound token under the DPoP scheme', async () => {
      const res = await get('/v1/me', `DPoP ${await sign(key, bound())}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().actor).toMatchObject({ kind: 'resident', roles: ['resident'] });
    });

    it('refuses a bound token downgraded to Bearer', async () => {
      const res = await get('/v1/me', await bearer(key, bound()));
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    });

    it('refuses an unbound token under the DPoP scheme', async () => {
      const res = await get('/v1/me', `DPoP ${await sign(key, residentClaims)}`);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('DPoP error="invalid_token"');
    });
  });

  it('refuses a route whose auth config cannot be met, at startup', async () => {
    for (const auth of [{ kinds: [] }, { kinds: ['admin'] }, { roles: [] }, { scopes: ['a b'] }]) {
      const service = await createService({
        name: 'auth-test',
        version: '0.0.0',
        description: 'misconfigured',
        readiness: async () => {},
        docs: false,
        config: {
          logLevel: 'silent',
          bodyLimit: 1024,
          rateLimit: { max: 10, windowMs: 60_000 },
          trustProxy: false,
        },
      });
      await service.register(accessTokenAuth, {
        resolver: localKeyResolver({ keys: [] }),
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      expect(() =>
        service.get('/x', { config: { auth: auth as RouteAuth } }, async () => ({})),
      ).toThrow(/config\.auth of GET \/x/);
      await service.close();
    }
  });
});

describe('accessTokenAuth failure throttle', () => {
  it('answers 429 rate_limited to an address after too many refused tokens, and resets after the window', async () => {
    let now = NOW.getTime();
    const service = await createService({
      name: 'auth-throttle-test',
      version: '0.0.0',
      description: 'failure throttle under test',
      readiness: async () => {},
      docs: false,
      config: {
        logLevel: 'silent',
        bodyLimit: 64 * 1024,
        rateLimit: { max: 10_000, windowMs: 60_000 },
        trustProxy: false,
      },
    });
    await service.register(accessTokenAuth, {
      resolver: localKeyResolver({ keys: [key.publicJwk] }),
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => new Date(now),
      failureThrottle: { max: 3, windowMs: 60_000 },
    });
    service.get('/v1/me', { config: { auth: {} } }, async (request) => ({
      subject: requireActor(request).subject,
    }));
    try {
      const call = (authorization: string, remoteAddress = '10.0.0.7') =>
        service.inject({ method: 'GET', url: '/v1/me', headers: { authorization }, remoteAddress });
      const valid = await bearer(key);
      for (let i = 0; i < 3; i++)
        expect((await call('Bearer forged.token.here')).statusCode).toBe(401);
      const blocked = await call(valid);
      expect(blocked.statusCode).toBe(429);
      expect(blocked.json().code).toBe('rate_limited');
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      // Another address is not affected; this one recovers after the window.
      expect((await call(valid, '10.0.0.8')).statusCode).toBe(200);
      now += 60_000;
      expect((await call(valid)).statusCode).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('accessTokenAuth verified-token cache', () => {
  it('refuses a cached token as soon as its kid stops resolving (defect 5)', async () => {
    let now = NOW.getTime();
    const published = new Map([[key.kid, key.publicJwk]]);
    let lookups = 0;
    // Stands in for a JWKS resolver whose refreshed set has dropped the key.
    const resolver = {
      async resolve(kid: string) {
        lookups += 1;
        const jwk = published.get(kid);
        return jwk === undefined ? undefined : localKeyResolver({ keys: [jwk] }).resolve(kid);
      },
    };
    const service = await createService({
      name: 'auth-cache-test',
      version: '0.0.0',
      description: 'verified-token cache under test',
      readiness: async () => {},
      docs: false,
      config: {
        logLevel: 'silent',
        bodyLimit: 64 * 1024,
        rateLimit: { max: 10_000, windowMs: 60_000 },
        trustProxy: false,
      },
    });
    await service.register(accessTokenAuth, {
      resolver,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => new Date(now),
      failureThrottle: false,
    });
    service.get('/v1/me', { config: { auth: {} } }, async (request) => ({
      subject: requireActor(request).subject,
    }));
    try {
      const token = await bearer(key, staffClaims, { ttlSeconds: 600 });
      const call = () =>
        service.inject({ method: 'GET', url: '/v1/me', headers: { authorization: token } });
      expect((await call()).statusCode).toBe(200);
      expect(service.accessTokenCache?.size).toBe(1);

      // Hit every second: the entry is still the one stored at NOW, not renewed.
      for (let i = 0; i < 9; i += 1) {
        now += 1_000;
        expect((await call()).statusCode).toBe(200);
      }
      published.delete(key.kid);
      lookups = 0;
      expect((await call()).statusCode).toBe(401);
      expect(lookups).toBeGreaterThan(0);
      expect(service.accessTokenCache?.size).toBe(0);
    } finally {
      await service.close();
    }
  });
});
