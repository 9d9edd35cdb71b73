import { randomBytes } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { missingErrorResponses } from '@tongban/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { departments } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('identity service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is alive and ready once migrated', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
      status: 'ok',
    });
  });

  it('serves a valid OpenAPI 3.1 document and the docs UI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(doc.paths)).toContain('/v1/departments');
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });

  it("lists the problem+json errors of every operation, with identity's own codes", async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(missingErrorResponses(doc)).toEqual([]);
    const verify = doc.paths['/v1/presentations/verify'].post.responses;
    expect(verify['409']['x-codes']).toContain('presentation_replayed');
    expect(verify['403']['x-codes']).toEqual(
      expect.arrayContaining(['forbidden', 'credential_revoked', 'device_revoked']),
    );
    expect(verify['401']['x-codes']).toEqual(
      expect.arrayContaining(['unauthorized', 'signature_invalid', 'presentation_expired']),
    );
  });

  it('documents GET /v1/verifications/{id} as a department read behind a token', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const get = doc.paths['/v1/verifications/{id}'].get;
    expect(get.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(get.responses).sort()).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
    ]);
    expect(Object.keys(get.responses['200'].content['application/json'].schema.properties)).toEqual(
      ['id', 'method', 'subjectId', 'verifierDepartment', 'verifiedAt'],
    );
    expect(t.app.publicRoutes).not.toContain('GET /v1/verifications/:id');
  });

  it('refuses to start with a route that declares neither an auth rule nor public', async () => {
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        IDENTITY_MASTER_KEY: randomBytes(32).toString('base64url'),
        IDENTITY_PUBLIC_URLS: 'http://identity.test',
      },
      process.cwd(),
    );
    const app = await buildApp({ config, database: t.database });
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
      'GET /v1/departments',
      'GET /v1/presentations/:token/qr.png',
      'GET /v1/presentations/:token/qr.svg',
      'GET /v1/status-lists/:id',
      'POST /v1/auth/device-token',
      'POST /v1/auth/login',
      'POST /v1/auth/passkeys/login',
      'POST /v1/auth/passkeys/login/options',
      'POST /v1/auth/token',
      'POST /v1/devices/activate',
    ]);
  });
});

describe('GET /v1/departments', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.database.db.insert(departments).values([
      { code: 'civil_affairs', nameZh: '民政局', nameEn: 'Civil Affairs' },
      { code: 'health', nameZh: '卫生健康委员会', nameEn: 'Health Commission' },
      { code: 'public_security', nameZh: '公安局', nameEn: 'Public Security' },
    ]);
  });
  afterAll(() => t.close());

  it('pages through every department once, in code order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/departments?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const body = (await t.app.inject({ method: 'GET', url })).json();
      seen.push(...body.items.map((d: { code: string }) => d.code));
      cursor = body.nextCursor;
    } while (cursor);
    // 'administration' is created by the first-start bootstrap of the admin account.
    expect(seen).toEqual(['administration', 'civil_affairs', 'health', 'public_security']);
  });

  it('returns names in both languages', async () => {
    const body = (await t.app.inject({ method: 'GET', url: '/v1/departments?limit=2' })).json();
    expect(body.items[1]).toMatchObject({
      code: 'civil_affairs',
      name: { zh: '民政局', en: 'Civil Affairs' },
    });
  });

  it('refuses a cursor it did not issue with 400 validation_failed', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/departments?cursor=bm90LWEtY3Vyc29y',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('refuses a limit out of range', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/departments?limit=100000' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('querystring.limit');
  });
});
