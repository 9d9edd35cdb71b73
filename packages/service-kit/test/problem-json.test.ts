import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type ServiceInstance } from '../src/index.js';
import { buildKitApp, logSink, testConfig } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

describe('problem+json errors', () => {
  let app: ServiceInstance;
  beforeAll(async () => {
    app = await buildKitApp();
  });
  afterAll(() => app.close());

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({
      method: 'POST',
      url: '/v1/things',
      payload,
      headers: { 'content-type': contentType },
    });

  it('accepts a valid body and serializes only the response allow-list', async () => {
    const res = await post(JSON.stringify({ name: 'a', count: 1 }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ name: 'a', count: 1 });
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const res = await post('{"name": "a",');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json()).toMatchObject({
      status: 400,
      code: 'malformed_json',
      type: 'urn:tongban:problem:malformed_json',
    });
  });

  it('answers an empty JSON body with 400 malformed_json', async () => {
    const res = await post('');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('malformed_json');
  });

  it('answers wrong types with 400 validation_failed naming the field', async () => {
    const res = await post(JSON.stringify({ name: 'a', count: 'seven' }));
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('validation_failed');
    expect(body.errors).toEqual([{ field: 'body.count', message: 'must be integer' }]);
  });

  it('does not coerce a number sent as a string in a body', async () => {
    const res = await post(JSON.stringify({ name: 'a', count: '7' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('refuses unknown fields where the schema forbids them', async () => {
    const res = await post(JSON.stringify({ name: 'a', count: 1, isAdmin: true }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: 'body.isAdmin', message: 'is not allowed here' }]);
  });

  it('names a missing field', async () => {
    const res = await post(JSON.stringify({ name: 'a' }));
    expect(res.json().errors).toEqual([{ field: 'body.count', message: 'is required' }]);
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const res = await post(JSON.stringify({ name: 'a'.repeat(10_000), count: 1 }));
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.json().code).toBe('payload_too_large');
  });

  it('answers a body that is not JSON with 415 unsupported_media_type', async () => {
    const res = await post('name=a', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('unsupported_media_type');
  });

  it('answers unknown routes with 404 not_found', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found', instance: '/v1/nothing-here' });
  });

  it('answers an unexpected error with a 500 that reveals nothing internal', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual([
      'code',
      'instance',
      'requestId',
      'status',
      'title',
      'type',
    ]);
    expect(body.code).toBe('internal_error');
    expect(res.body).not.toMatch(/duplicate|residents_pkey|app\.ts|stack|Error/);
  });

  it('never answers 5xx to arbitrary bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/json; charset=utf-8',
          'application/xml',
        ),
        async (payload, contentType) => {
          const res = await post(payload, contentType);
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(PROBLEM);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('request ids', () => {
  let app: ServiceInstance;
  beforeAll(async () => {
    app = await buildKitApp();
  });
  afterAll(() => app.close());

  it('keeps a sane incoming X-Request-Id and echoes it in errors', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'counter-7:abc.123' },
    });
    expect(res.headers['x-request-id']).toBe('counter-7:abc.123');
    expect(res.json().requestId).toBe('counter-7:abc.123');
  });

  it('replaces an id that could forge log lines or headers', async () => {
    const hostile = 'abc\nlevel=fatal msg="forged"';
    const res = await app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': hostile },
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('rate limits', () => {
  it('answers over-limit requests with 429 rate_limited and Retry-After', async () => {
    const app = await buildKitApp({ rateLimitMax: 2 });
    try {
      const codes: number[] = [];
      let last: Awaited<ReturnType<typeof app.inject>> | undefined;
      for (let i = 0; i < 3; i++) {
        last = await app.inject({ method: 'GET', url: '/v1/boom' });
        codes.push(last.statusCode);
      }
      expect(codes).toEqual([500, 500, 429]);
      expect(last?.json().code).toBe('rate_limited');
      expect(last?.headers['retry-after']).toBeDefined();
      // Health probes are never limited: an orchestrator must always reach them.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('GET /readyz', () => {
  it('is 503 not_ready while the readiness check fails, 200 once it passes', async () => {
    let ready = false;
    const app = await buildKitApp({
      readiness: async () => {
        if (!ready) throw new Error('connection refused 10.0.0.5:5432');
      },
    });
    try {
      const down = await app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json().code).toBe('not_ready');
      expect(down.body).not.toContain('10.0.0.5');
      ready = true;
      expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
        status: 'ok',
      });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('logging', () => {
  it('redacts credentials and personal fields', async () => {
    const sink = logSink();
    const app = await createService({
      name: 'kit-log',
      version: '0.0.0',
      description: 'logging under test',
      readiness: async () => {},
      config: { ...testConfig, logLevel: 'info' },
      logStream: sink.stream,
    });
    app.get('/v1/tokens/:token/qr.png', { config: { public: true } }, async () => ({ ok: true }));
    app.get('/v1/echo', { config: { public: true } }, async (request) => {
      request.log.info(
        { input: { idNumber: '110101199003074518', phone: '13800138000' } },
        'verb input',
      );
      return { ok: true };
    });
    try {
      await app.inject({
        method: 'GET',
        url: '/v1/echo',
        headers: { authorization: 'Bearer eyJsecret', cookie: 'sid=topsecret' },
      });
      const jws = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhYmNkZWZnaCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
      await app.inject({ method: 'GET', url: `/v1/tokens/${jws}/qr.png` });
      const text = sink.lines().join('\n');
      expect(text).toContain('verb input');
      expect(text).toContain('/v1/tokens/[token]/qr.png');
      expect(text).not.toContain(jws);
      expect(text).not.toMatch(/eyJsecret|topsecret|110101199003074518|13800138000/);
      expect(text).toContain('[redacted]');
    } finally {
      await app.close();
    }
  });
});

describe('security headers', () => {
  it('sends a restrictive CSP and no framing on API responses', async () => {
    const app = await buildKitApp();
    try {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toContain('max-age=31536000');
    } finally {
      await app.close();
    }
  });
});
