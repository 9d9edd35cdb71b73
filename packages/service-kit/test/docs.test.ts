import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type ServiceInstance } from '../src/index.js';
import { testConfig } from './helpers.js';

describe('GET /docs', () => {
  let app: ServiceInstance;
  beforeAll(async () => {
    app = await createService({
      name: 'kit-docs',
      version: '0.0.0',
      description: 'the docs UI under test',
      readiness: async () => {},
      config: testConfig,
    });
    app.get('/v1/things', { config: { public: true } }, async () => ({ items: [] }));
  });
  afterAll(() => app.close());

  it('redirects /docs to docs/ by a relative reference, so it lands right under any prefix', async () => {
    const plain = await app.inject({ method: 'GET', url: '/docs' });
    expect(plain.statusCode).toBe(302);
    expect(plain.headers.location).toBe('docs/');
    const withQuery = await app.inject({ method: 'GET', url: '/docs?tag=things' });
    expect(withQuery.headers.location).toBe('docs/?tag=things');
  });

  it('serves the UI at /docs/ with asset links relative to the page', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    const links = [...res.body.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^\.\/static\//);
  });

  it('gives the UI a strict policy: no inline script, only the logo’s inline style by hash', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/' });
    const policy = Object.fromEntries(
      String(res.headers['content-security-policy'])
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0] !== '')
        .map(([name, ...values]) => [name, values]),
    );
    expect(policy).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'frame-ancestors': ["'none'"],
    });
  });

  it('names the server relative to the served document, and leaves app.swagger() without one', async () => {
    const served = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(served.servers).toEqual([
      { url: '..', description: 'This service, relative to where this document is served' },
    ]);
    // Resolved as OpenAPI says, against the document's own URL, directly and behind a prefix.
    expect(new URL(`${served.servers[0].url}/v1/things`, 'http://h:3001/docs/json').href).toBe(
      'http://h:3001/v1/things',
    );
    expect(new URL(`${served.servers[0].url}/v1/things`, 'http://h/api/kit/docs/json').href).toBe(
      'http://h/api/kit/v1/things',
    );
    const yaml = await app.inject({ method: 'GET', url: '/docs/yaml' });
    expect(yaml.body).toContain('url: ..');
    expect((app.swagger() as { servers?: unknown }).servers).toBeUndefined();
  });
});
