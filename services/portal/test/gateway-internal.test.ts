import { parsePrometheus } from '@tongban/testing';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachesInternalRoute } from '../src/routes/gateway/internal-paths.js';
import { startTestApp, type TestApp } from './helpers/app.js';

// Spellings of /metrics a service (or something between it and the gateway) could normalise.
const METRICS_SPELLINGS = [
  '/metrics',
  '/metrics?x',
  '/metrics/',
  '//metrics',
  '/./metrics',
  '/v1/../metrics',
  '/%6Detrics',
  '/%6detrics',
  '/%2e/metrics',
  '/%252e/metrics',
  '/%256Detrics',
  '/METRICS',
  '/metrics;x=1',
  '/%2Fmetrics',
  '/.%2Fmetrics',
  '/\\metrics',
  '/metrics#top',
];

describe('gateway: services’ internal routes', () => {
  let upstream: FastifyInstance;
  const seenByUpstream: string[] = [];
  let t: TestApp;

  beforeAll(async () => {
    // A stand-in service that answers everything, and records what reached it.
    upstream = Fastify({ routerOptions: { ignoreDuplicateSlashes: true, caseSensitive: false } });
    upstream.addHook('onRequest', async (request) => {
      seenByUpstream.push(request.url);
    });
    upstream.get('/metrics', async () => 'internal numbers');
    upstream.get('/*', async (request) => ({ path: request.url }));
    const address = await upstream.listen({ host: '127.0.0.1', port: 0 });
    t = await startTestApp({ IDENTITY_URL: address, RECORDS_URL: address, WORKFLOW_URL: address });
  });
  afterAll(async () => {
    await t.close();
    await upstream.close();
  });

  it.each(['identity', 'records', 'workflow'])(
    'answers 404 problem+json for /api/%s/metrics in every spelling, without forwarding',
    async (service) => {
      seenByUpstream.length = 0;
      for (const spelling of METRICS_SPELLINGS) {
        const res = await t.app.inject({ method: 'GET', url: `/api/${service}${spelling}` });
        expect(res.statusCode, spelling).toBe(404);
        expect(res.headers['content-type'], spelling).toMatch(/^application\/problem\+json/);
        expect(res.json().code, spelling).toBe('not_found');
      }
      expect(seenByUpstream).toEqual([]);
    },
  );

  it('refuses a path that climbs out of one service’s prefix into another’s /metrics', async () => {
    seenByUpstream.length = 0;
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/identity/..%2F..%2Fapi%2Frecords%2Fmetrics',
    });
    expect(res.statusCode).toBe(404);
    expect(seenByUpstream).toEqual([]);
  });

  it('still forwards ordinary paths, including ones that merely contain "metrics"', async () => {
    for (const path of ['/v1/metrics', '/metricsx', '/v1/stats/metrics-help']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/identity${path}` });
      expect(res.statusCode, path).toBe(200);
      expect(res.json()).toEqual({ path });
    }
  });

  it('serves the portal’s own /metrics, with the gateway routes by template', async () => {
    await t.app.inject({ method: 'GET', url: '/api/identity/v1/anything' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const metrics = parsePrometheus(res.body);
    const routes = new Set(
      metrics.get('http_request_duration_seconds')?.metrics.map((m) => m.labels.route),
    );
    expect(routes).toContain('/api/identity/*');
    expect(routes).not.toContain('/api/identity/v1/anything');
    expect(metrics.get('tongban_db_pool_connections')?.type).toBe('GAUGE');
    expect(metrics.get('process_resident_memory_bytes')?.type).toBe('GAUGE');
  });
});

describe('reachesInternalRoute', () => {
  it('sees /metrics through every spelling and leaves other paths alone', () => {
    for (const spelling of METRICS_SPELLINGS) {
      expect(reachesInternalRoute(`/api/identity${spelling}`), spelling).toBe(true);
    }
    expect(reachesInternalRoute('/api/identity/%zz')).toBe(true);
    for (const path of ['/api/identity/v1/metrics', '/api/identity/metricsx', '/api/identity/']) {
      expect(reachesInternalRoute(path), path).toBe(false);
    }
  });
});

describe('reachesInternalRoute, property', () => {
  // One spelling of a character: itself, its other case, or percent-encoded (once or twice).
  const spell = (char: string) =>
    fc.constantFrom(
      char,
      char.toUpperCase(),
      `%${char.charCodeAt(0).toString(16)}`,
      `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
      `%25${char.charCodeAt(0).toString(16)}`,
    );
  const noise = fc.constantFrom('', '/', './', '/./', 'x/../', '%2e/', '\\');
  const metricsSpelling = fc
    .tuple(noise, ...[...'metrics'].map(spell), fc.constantFrom('', '/', '?a=1', ';p', '/.'))
    .map(([prefix, ...rest]) => `/${prefix}${rest.join('')}`);

  it('sees /metrics through any mix of case, encoding and dot or slash noise', () => {
    fc.assert(
      fc.property(fc.constantFrom('identity', 'records', 'workflow'), metricsSpelling, (s, p) =>
        reachesInternalRoute(`/api/${s}${p}`),
      ),
    );
  });

  it('never flags a path whose first segment is not metrics', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9-]{1,12}$/).filter((seg) => seg !== 'metrics'),
        fc.stringMatching(/^[a-z0-9/-]{0,20}$/),
        (first, rest) => !reachesInternalRoute(`/api/identity/${first}/${rest}`),
      ),
    );
  });
});
