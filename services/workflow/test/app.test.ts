import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { missingErrorResponses } from '@tongban/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('workflow service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is alive and ready once migrated', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('serves a valid OpenAPI 3.1 document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/services');
  });

  it('lists the problem+json errors of every operation', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(missingErrorResponses(doc)).toEqual([]);
  });

  it('refuses to start with a route that declares neither an auth rule nor public', async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, process.cwd());
    const app = await buildApp({
      config,
      database: t.database,
      masterKey: randomBytes(32),
      webhookWorker: false,
    });
    try {
      await expect(async () => {
        app.get('/v1/forgotten', async () => ({ leaked: true }));
        await app.ready();
      }).rejects.toThrow(/GET \/v1\/forgotten declares neither config\.auth nor config\.public/);
    } finally {
      await app.close().catch(() => {});
    }
  });

  // Adding an anonymous route is a security decision: it shows up here, in review.
  it('is closed except for these public routes', () => {
    expect(t.app.publicRoutes).toEqual([
      'GET /.well-known/jwks.json',
      'GET /v1/services',
      'GET /v1/services/:code',
      'GET /v1/track/:trackingCode',
    ]);
  });
});
