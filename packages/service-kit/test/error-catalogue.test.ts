import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createService,
  defineErrors,
  IdempotencyKeyHeaders,
  missingErrorResponses,
  problem,
  type ServiceInstance,
  sharedErrors,
} from '../src/index.js';
import { testConfig } from './helpers.js';

const kitErrors = defineErrors('kit-test', {
  widget_jammed: { status: 409, title: 'Widget jammed', description: 'The widget is stuck.' },
});

async function buildDocumentedApp(): Promise<ServiceInstance> {
  const app = await createService({
    name: 'kit-docs',
    version: '0.0.0',
    description: 'error responses under test',
    readiness: async () => {},
    config: testConfig,
    errors: kitErrors,
  });
  app.get('/v1/open', { config: { public: true } }, async () => ({ ok: true }));
  app.put(
    '/v1/widgets/:id',
    {
      config: { public: true, errors: ['widget_jammed'] },
      schema: {
        params: Type.Object({ id: Type.String() }),
        headers: Type.Intersect([
          IdempotencyKeyHeaders,
          Type.Object({ 'if-match': Type.Optional(Type.String()) }),
        ]),
        body: Type.Object({ name: Type.String() }),
      },
    },
    async () => {
      throw kitErrors.problem('widget_jammed', 'Stuck again.');
    },
  );
  return app;
}

describe('the error catalogue', () => {
  it('gives each shared code one status and a title', () => {
    expect(sharedErrors.entries.idempotency_in_progress.status).toBe(409);
    expect(sharedErrors.entries.idempotency_conflict.status).toBe(422);
    expect(sharedErrors.entries.precondition_required.status).toBe(428);
    expect(sharedErrors.entries.already_exists.status).toBe(409);
    const error = problem('version_conflict', 'Stale.');
    expect([error.status, error.code, error.title, error.detail]).toEqual([
      412,
      'version_conflict',
      'Precondition failed',
      'Stale.',
    ]);
  });

  it("makes a service's catalogue from the shared codes plus its own", () => {
    expect(kitErrors.has('widget_jammed')).toBe(true);
    expect(kitErrors.has('not_found')).toBe(true);
    expect(kitErrors.has('nonsense')).toBe(false);
    expect(kitErrors.problem('widget_jammed').status).toBe(409);
  });

  it('refuses to redeclare a shared code or a code that is not snake_case', () => {
    expect(() =>
      // @ts-expect-error: a shared code cannot be redeclared
      defineErrors('bad', { not_found: { status: 410, title: 'x', description: 'x' } }),
    ).toThrow(/redeclares the shared code not_found/);
    expect(() =>
      defineErrors('bad', { NotSnake: { status: 400, title: 'x', description: 'x' } }),
    ).toThrow(/not snake_case/);
    expect(() =>
      defineErrors('bad', { fine_code: { status: 200, title: 'x', description: 'x' } }),
    ).toThrow(/4xx or 5xx/);
  });

  it('rejects an unknown code at compile time and at run time', () => {
    // @ts-expect-error: not in the shared catalogue
    expect(() => problem('no_such_code')).toThrow(/not in the shared catalogue/);
  });

  it('answers a thrown catalogue error with its status, code and title', async () => {
    const app = await buildDocumentedApp();
    try {
      const res = await app.inject({
        method: 'PUT',
        url: '/v1/widgets/1',
        payload: { name: 'a' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({
        type: 'urn:tongban:problem:widget_jammed',
        title: 'Widget jammed',
        code: 'widget_jammed',
        detail: 'Stuck again.',
      });
    } finally {
      await app.close();
    }
  });
});

describe('error responses in OpenAPI', () => {
  let app: ServiceInstance;
  let doc: {
    paths: Record<string, Record<string, { responses: Record<string, Record<string, unknown>> }>>;
    components: { schemas: Record<string, unknown> };
  };
  beforeAll(async () => {
    app = await buildDocumentedApp();
    doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  });
  afterAll(() => app.close());

  it('derives each status from what the route declares, plus its own codes', () => {
    const responses = doc.paths['/v1/widgets/{id}']?.put?.responses ?? {};
    const codes = Object.fromEntries(
      Object.entries(responses)
        .filter(([status]) => status >= '400')
        .map(([status, response]) => [status, response['x-codes']]),
    );
    expect(codes).toEqual({
      '400': ['validation_failed', 'malformed_json'],
      '404': ['not_found'],
      '409': ['idempotency_in_progress', 'widget_jammed'],
      '412': ['version_conflict'],
      '413': ['payload_too_large'],
      '415': ['unsupported_media_type'],
      '422': ['idempotency_conflict'],
      '428': ['precondition_required'],
      '429': ['rate_limited'],
      '500': ['internal_error'],
    });
    expect(responses['409']?.description).toContain('`widget_jammed`: The widget is stuck.');
  });

  it('lists only 429 and 500 for a public route that takes no input', () => {
    const responses = doc.paths['/v1/open']?.get?.responses ?? {};
    expect(Object.keys(responses).filter((status) => status >= '400')).toEqual(['429', '500']);
  });

  it('describes every error as problem+json with the shared Problem schema', () => {
    expect(doc.components.schemas.Problem).toMatchObject({
      required: ['type', 'title', 'status', 'code', 'requestId'],
    });
    expect(missingErrorResponses(doc)).toEqual([]);
  });

  it('reports an operation that lacks its error responses', () => {
    const bare = {
      components: { schemas: {} },
      paths: { '/v1/x/{id}': { get: { parameters: [{}], responses: { 200: {} } } } },
    };
    expect(missingErrorResponses(bare)).toEqual([
      'components.schemas.Problem',
      'GET /v1/x/{id}: no 429 response',
      'GET /v1/x/{id}: no 500 response',
      'GET /v1/x/{id}: no 400 response',
      'GET /v1/x/{id}: no 404 response',
    ]);
  });
});

describe('routes closed by default', () => {
  const build = () =>
    createService({
      name: 'kit-closed',
      version: '0.0.0',
      description: 'closed routes under test',
      readiness: async () => {},
      config: testConfig,
    });

  it('fails to start with a route that declares neither an auth rule nor public', async () => {
    const app = await build();
    try {
      await expect(async () => {
        app.get('/v1/forgotten', async () => ({ leaked: true }));
        await app.ready();
      }).rejects.toThrow(/GET \/v1\/forgotten declares neither config\.auth nor config\.public/);
    } finally {
      await app.close().catch(() => {});
    }
  });

  it('refuses a route that is both public and authenticated', async () => {
    const app = await build();
    try {
      await expect(async () => {
        app.get(
          '/v1/both',
          { config: { public: true, auth: {} } as { public: true } },
          async () => ({}),
        );
        await app.ready();
      }).rejects.toThrow(/GET \/v1\/both declares both/);
    } finally {
      await app.close().catch(() => {});
    }
  });

  it('refuses a route that lists a code missing from the catalogue', async () => {
    const app = await build();
    try {
      await expect(async () => {
        app.get(
          '/v1/odd',
          { config: { public: true, errors: ['no_such_code'] } },
          async () => ({}),
        );
        await app.ready();
      }).rejects.toThrow(/GET \/v1\/odd lists error code no_such_code/);
    } finally {
      await app.close().catch(() => {});
    }
  });

  it('accepts an authenticated route and lists only the public ones, kit routes aside', async () => {
    const app = await build();
    try {
      app.get('/v1/open', { config: { public: true } }, async () => ({}));
      app.post('/v1/open', { config: { public: true } }, async () => ({}));
      app.get('/v1/mine', { config: { auth: {} } as object }, async () => ({}));
      await app.ready();
      expect(app.publicRoutes).toEqual(['GET /v1/open', 'POST /v1/open']);
      for (const url of ['/healthz', '/readyz', '/docs/json']) {
        expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
  });
});
