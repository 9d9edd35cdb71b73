import fc from 'fast-check';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, ListQuery, type ServiceInstance } from '../src/index.js';
import { testConfig } from './helpers.js';

// Numbers in paths and query strings arrive as text; only one spelling of each is accepted.
describe('numbers in paths and query strings', () => {
  let app: ServiceInstance;
  beforeAll(async () => {
    app = await createService({
      name: 'kit-test',
      version: '0.0.0',
      description: 'strict numbers',
      readiness: async () => {},
      config: testConfig,
    });
    app.get(
      '/v1/lists/:id',
      {
        config: { public: true },
        schema: {
          params: Type.Object({ id: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }),
          querystring: ListQuery,
        },
      },
      async (request) => ({ id: request.params.id, limit: request.query.limit }),
    );
    await app.ready();
  });
  afterAll(() => app.close());

  const get = (url: string) => app.inject({ method: 'GET', url });

  it('accepts plain decimal numbers and converts them', async () => {
    expect((await get('/v1/lists/0')).json()).toEqual({ id: 0, limit: 50 });
    expect((await get('/v1/lists/1?limit=20')).json()).toEqual({ id: 1, limit: 20 });
  });

  it.each(['0x1', '01', '+1', '1.0', '1e0', '%201', '1%20', '0b1', ''])(
    'refuses /v1/lists/%s with 400 validation_failed (path parameters parsed strictly)',
    async (id) => {
      const res = await get(`/v1/lists/${id}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
      expect(res.json().errors[0].field).toBe('params.id');
    },
  );

  it.each(['0x10', '010', '+10', '10.0', '1e1'])('refuses ?limit=%s', async (limit) => {
    const res = await get(`/v1/lists/1?limit=${encodeURIComponent(limit)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });

  it('accepts a number exactly when it is written the canonical way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 8 }), async (text) => {
        const res = await get(`/v1/lists/${encodeURIComponent(text)}`);
        const canonical = /^(0|[1-9][0-9]*)$/.test(text) && Number(text) <= 1_000_000;
        expect(res.statusCode).toBe(canonical ? 200 : 400);
        if (canonical) expect(res.json().id).toBe(Number(text));
      }),
      { numRuns: 200 },
    );
  });
});
