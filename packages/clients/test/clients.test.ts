import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordsClient, createWorkflowClient } from '../src/index.js';
import { injectFetch } from '../src/testing/inject-fetch.js';

// A stand-in that answers on the paths the generated types know, echoing what it received, so
// the tests see exactly what a client sends and what the adapter hands back.
describe('typed clients over injectFetch', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    app.get('/v1/services', async (request, reply) => {
      reply.header('set-cookie', ['a=1', 'b=2']);
      return {
        items: [],
        nextCursor: null,
        echo: { url: request.url, authorization: request.headers.authorization ?? null },
      };
    });
    app.post('/v1/record-types', async (request, reply) => {
      reply.code(201);
      return {
        body: request.body,
        authorization: request.headers.authorization ?? null,
        idempotencyKey: request.headers['idempotency-key'] ?? null,
      };
    });
    app.get('/v1/record-types', async (_request, reply) => reply.code(204).send());
    await app.ready();
  });
  afterAll(() => app.close());

  it('sends the path and query, and returns status, headers and body', async () => {
    const client = createWorkflowClient({
      baseUrl: 'http://workflow.test/',
      fetch: injectFetch(app),
    });
    const res = await client.GET('/v1/services', {
      params: { query: { limit: 2, cursor: 'abc' } },
    });
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      echo: { url: '/v1/services?limit=2&cursor=abc', authorization: null },
    });
    expect(res.response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('adds the bearer token, read afresh for every request', async () => {
    let token = 'first';
    const client = createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(app),
      token: () => token,
    });
    const body = {
      code: 'birth_record',
      name: { zh: '出生', en: 'Birth' },
      fieldSchema: {},
      classification: {},
    };
    const first = await client.POST('/v1/record-types', {
      body,
      params: { header: { 'idempotency-key': 'k-1' } },
    });
    expect(first.response.status).toBe(201);
    expect(first.data).toEqual({ body, authorization: 'Bearer first', idempotencyKey: 'k-1' });
    token = 'second';
    const second = await client.POST('/v1/record-types', { body });
    expect(second.data).toMatchObject({ authorization: 'Bearer second', idempotencyKey: null });
  });

  it('leaves an Authorization header the call sets itself', async () => {
    const client = createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(app),
      token: 'default',
    });
    const res = await client.POST('/v1/record-types', {
      body: { code: 'x_y', name: { zh: 'x', en: 'x' }, fieldSchema: {}, classification: {} },
      headers: { authorization: 'DPoP other' },
    });
    expect(res.data).toMatchObject({ authorization: 'DPoP other' });
  });

  it('hands back a response without a body as the Fetch API requires', async () => {
    const client = createRecordsClient({ baseUrl: 'http://records.test', fetch: injectFetch(app) });
    const res = await client.GET('/v1/record-types');
    expect(res.response.status).toBe(204);
    expect(res.error).toBeUndefined();
  });
});
