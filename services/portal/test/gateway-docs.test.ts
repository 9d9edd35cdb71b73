import { createService, type ServiceInstance } from '@tongban/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locationThroughGateway } from '../src/routes/gateway/location.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const SERVICES = ['identity', 'workflow', 'records'] as const;

/**
 * A service as every Tongban service is built (createService: docs, CSP, /metrics), with one
 * anonymous operation for "Try it out" and two redirects for the gateway's Location handling.
 */
async function startService(name: string): Promise<{ app: ServiceInstance; url: string }> {
  const app = await createService({
    name,
    version: '1.0.0',
    description: `${name} stand-in`,
    readiness: async () => {},
    config: {
      logLevel: 'silent',
      bodyLimit: 4096,
      rateLimit: { max: 1000, windowMs: 60_000 },
      trustProxy: false,
    },
  });
  app.get('/v1/services', { config: { public: true } }, async () => ({ service: name }));
  app.get('/v1/moved', { config: { public: true } }, (_request, reply) =>
    reply.redirect('/v1/services?from=moved'),
  );
  app.get('/v1/elsewhere', { config: { public: true } }, (_request, reply) =>
    reply.redirect('https://example.org/tongban'),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

describe('gateway: each service’s API docs', () => {
  const services: ServiceInstance[] = [];
  let t: TestApp;
  // The portal's origin as a browser would name it; inject resolves only the path.
  const origin = 'http://portal.test';

  beforeAll(async () => {
    const started = await Promise.all(SERVICES.map(startService));
    services.push(...started.map((s) => s.app));
    t = await startTestApp({
      IDENTITY_URL: started[0]?.url ?? '',
      WORKFLOW_URL: started[1]?.url ?? '',
      RECORDS_URL: started[2]?.url ?? '',
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all(services.map((app) => app.close()));
  });

  const get = (url: string) => {
    const { pathname, search } = new URL(url, origin);
    return t.app.inject({ method: 'GET', url: `${pathname}${search}` });
  };

  it.each(SERVICES)('sends /api/%s/docs on to docs/, under the prefix', async (name) => {
    const res = await get(`/api/${name}/docs?x=1`);
    expect(res.statusCode).toBe(302);
    expect(new URL(String(res.headers.location), `${origin}/api/${name}/docs?x=1`).href).toBe(
      `${origin}/api/${name}/docs/?x=1`,
    );
  });

  it.each(SERVICES)(
    'serves /api/%s/docs/ and every asset it links to, under the docs’ strict policy',
    async (name) => {
      const page = `${origin}/api/${name}/docs/`;
      const res = await get(page);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      const policy = String(res.headers['content-security-policy']);
      expect(policy).toContain("script-src 'self';");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).not.toContain('unsafe-inline');
      const links = [...res.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? '');
      expect(links).toContain('./static/swagger-initializer.js');
      for (const link of links) {
        const asset = new URL(link, page);
        expect(asset.pathname.startsWith(`/api/${name}/docs/static/`), link).toBe(true);
        const answer = await get(asset.href);
        expect(answer.statusCode, asset.pathname).toBe(200);
        expect(answer.headers['content-type'], asset.pathname).toMatch(
          /^(text\/css|application\/javascript|text\/javascript|image\/png)/,
        );
      }
    },
  );

  it.each(SERVICES)(
    'serves /api/%s/docs/json, whose server is where "Try it out" reaches the service',
    async (name) => {
      // Where the UI's initializer asks for the document: ./json, relative to the page.
      const documentUrl = new URL('./json', `${origin}/api/${name}/docs/`);
      expect(documentUrl.pathname).toBe(`/api/${name}/docs/json`);
      const res = await get(documentUrl.href);
      expect(res.statusCode).toBe(200);
      const document = res.json();
      expect(document.info.title).toBe(`Tongban ${name} API`);
      expect(Object.keys(document.paths)).toContain('/v1/services');
      const server = new URL(`${document.servers[0].url}/v1/services`, documentUrl);
      expect(server.pathname).toBe(`/api/${name}/v1/services`);
      const operation = await get(server.href);
      expect(operation.statusCode).toBe(200);
      expect(operation.json()).toEqual({ service: name });
    },
  );

  it.each(SERVICES)('still refuses /api/%s/metrics, which the service serves', async (name) => {
    const res = await get(`/api/${name}/metrics`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
  });

  it('puts a service’s root-relative redirect under its prefix and leaves full URLs alone', async () => {
    const moved = await get('/api/workflow/v1/moved');
    expect(moved.statusCode).toBe(302);
    expect(moved.headers.location).toBe('/api/workflow/v1/services?from=moved');
    const elsewhere = await get('/api/records/v1/elsewhere');
    expect(elsewhere.headers.location).toBe('https://example.org/tongban');
  });
});

describe('locationThroughGateway', () => {
  it('prefixes paths from the service’s root and nothing else', () => {
    const prefix = '/api/identity';
    expect(locationThroughGateway('/docs/', prefix)).toBe('/api/identity/docs/');
    expect(locationThroughGateway('/v1/cases/1?x=1#f', prefix)).toBe(
      '/api/identity/v1/cases/1?x=1#f',
    );
    for (const location of ['docs/', '../v1/x', '?page=2', '#top', 'https://example.org/a']) {
      expect(locationThroughGateway(location, prefix), location).toBe(location);
    }
  });
});
