import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { fakeWebRoot } from './helpers/web-root.js';

describe('portal', () => {
  let upstream: FastifyInstance;
  let t: TestApp;
  let web: Awaited<ReturnType<typeof fakeWebRoot>>;

  beforeAll(async () => {
    web = await fakeWebRoot();
    // A stand-in service on a real port: the gateway is about forwarding over the network.
    upstream = Fastify();
    upstream.get('/v1/echo', async (request) => ({
      path: request.url,
      authorization: request.headers.authorization ?? null,
    }));
    const identity = await upstream.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestApp(
      {
        IDENTITY_URL: identity,
        // Nothing listens on port 9 (discard) on this machine: an unreachable service.
        WORKFLOW_URL: 'http://127.0.0.1:9',
      },
      { webRoot: web.dir },
    );
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
    await web.remove();
  });

  it('is alive and ready once migrated', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('serves the home page with a same-origin content security policy', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('通办');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('serves the same shell, revalidated on every load, for each page the front end draws', async () => {
    const home = await t.app.inject({ method: 'GET', url: '/' });
    for (const url of [
      '/track/0123456789ABCDEFGHJK',
      '/track/not-a-code',
      '/resident',
      '/counter',
      '/department',
      '/staff',
    ]) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body, url).toBe(home.body);
    }
  });

  it('serves the hashed assets of the build as immutable for a year', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('answers an unknown asset with 404 problem+json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/index-nothere.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('forwards /api/identity/* to the identity service with the bearer token', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/identity/v1/echo?x=1',
      headers: { authorization: 'Bearer abc' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ path: '/v1/echo?x=1', authorization: 'Bearer abc' });
  });

  it('answers 502 upstream_unavailable problem+json when a service is down', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/workflow/v1/services' });
    expect(res.statusCode).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('upstream_unavailable');
  });

  // Adding an anonymous route is a security decision: it shows up here, in review.
  it('is closed except for the pages and the gateway', () => {
    expect(t.app.publicRoutes).toEqual([
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/identity',
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/identity/*',
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/records',
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/records/*',
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/workflow',
      'DELETE,GET,OPTIONS,PATCH,POST,PUT /api/workflow/*',
      'GET /',
      'GET /assets/*',
      'GET /counter',
      'GET /department',
      'GET /resident',
      'GET /staff',
      'GET /track/*',
    ]);
  });

  it('answers unknown pages with 404 problem+json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/no-such-page' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });
});

describe('portal without a built front end', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('says on every page how to build the front end, with 503', async () => {
    for (const url of ['/', '/track/0123456789ABCDEFGHJK']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('npm start');
      expect(res.body).toContain('has not been built');
      expect(res.body).not.toContain('<script');
    }
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
