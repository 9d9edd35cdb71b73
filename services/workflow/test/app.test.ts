import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createWorkflowClient, type WorkflowClient } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import { missingErrorResponses } from '@tongban/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { serviceDefinitions } from '../src/db/schema.js';
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
    expect(t.app.publicRoutes).toEqual(['GET /.well-known/jwks.json', 'GET /v1/services']);
  });
});

describe('GET /v1/services', () => {
  let t: TestApp;
  let client: WorkflowClient;
  beforeAll(async () => {
    t = await startTestApp();
    client = createWorkflowClient({ baseUrl: 'http://workflow.test', fetch: injectFetch(t.app) });
    const step = { steps: [] };
    await t.database.db.insert(serviceDefinitions).values([
      {
        code: 'newborn_registration',
        version: 1,
        nameZh: '新生儿出生一件事',
        nameEn: 'Newborn registration',
        definition: step,
      },
      {
        code: 'newborn_registration',
        version: 2,
        nameZh: '新生儿出生一件事',
        nameEn: 'Newborn registration (v2)',
        definition: step,
      },
      {
        code: 'open_restaurant',
        version: 1,
        nameZh: '开餐馆一件事',
        nameEn: 'Opening a restaurant',
        definition: step,
      },
    ]);
  });
  afterAll(() => t.close());

  it('lists the newest version of each service only', async () => {
    const { data } = await client.GET('/v1/services');
    expect(data?.items.map((s) => [s.code, s.version])).toEqual([
      ['newborn_registration', 2],
      ['open_restaurant', 1],
    ]);
    expect(data?.nextCursor).toBeNull();
  });

  it('pages with a cursor', async () => {
    const first = await client.GET('/v1/services', { params: { query: { limit: 1 } } });
    expect(first.data?.items).toHaveLength(1);
    const cursor = first.data?.nextCursor ?? undefined;
    expect(cursor).toBeTypeOf('string');
    const second = await client.GET('/v1/services', { params: { query: { limit: 1, cursor } } });
    expect(second.data?.items[0]?.code).toBe('open_restaurant');
    expect(second.data?.nextCursor).toBeNull();
  });

  // Off the contract on purpose, so the typed client cannot send it: raw inject.
  it('refuses a wrongly typed limit', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/services?limit=ten' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });
});
