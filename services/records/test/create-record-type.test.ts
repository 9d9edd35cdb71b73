import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signAccessToken } from '@tongban/auth';
import { createRecordsClient, type RecordsPaths } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('POST /v1/record-types, with access tokens checked against identity’s JWKS over HTTP', () => {
  let jwksServer: Server;
  let jwksFetches = 0;
  let privateKey: CryptoKey;
  let kid: string;
  let t: TestApp;

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    privateKey = pair.privateKey;
    const jwk = await exportJWK(pair.publicKey);
    kid = await calculateJwkThumbprint(jwk);
    // A stand-in for identity's /.well-known/jwks.json on a real port.
    jwksServer = createServer((_req, res) => {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const { port } = jwksServer.address() as AddressInfo;
    t = await startTestApp({ IDENTITY_URL: `http://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  const token = (department: string, roles: string[]) =>
    signAccessToken({
      key: privateKey,
      kid,
      issuer: 'tb',
      audience: 'tongban',
      claims: {
        kind: 'staff',
        sub: `staff-${department}-${roles.join('-')}`,
        client_id: 'tongban-portal',
        department,
        roles: roles as never,
        scope: '',
      },
      now: new Date(),
    });

  type NewRecordType =
    RecordsPaths['/v1/record-types']['post']['requestBody']['content']['application/json'];

  // The typed client over app.inject: what a department system or workflow would call.
  const client = (auth?: string) =>
    createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(t.app),
      ...(auth ? { token: auth } : {}),
    });

  const create = (body: NewRecordType, auth?: string, idempotencyKey?: string) =>
    client(auth).POST('/v1/record-types', {
      body,
      params: { header: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} },
    });

  const birthRecord: NewRecordType = {
    code: 'birth_record',
    name: { zh: '出生医学证明', en: 'Birth record' },
    fieldSchema: {
      type: 'object',
      properties: { childName: { type: 'string' }, birthDate: { type: 'string', format: 'date' } },
      required: ['childName', 'birthDate'],
      additionalProperties: false,
    },
    classification: { childName: 'personal', birthDate: 'personal' },
  };

  it('lets a department administrator declare a record type for their department', async () => {
    const admin = await token('health', ['department_admin']);
    const res = await create(birthRecord, admin);
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({
      code: 'birth_record',
      issuerDepartment: 'health',
      version: 1,
    });
    const list = await client().GET('/v1/record-types');
    expect(list.data?.items.map((r) => r.code)).toContain('birth_record');
    const again = await create(birthRecord, admin);
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ code: 'already_exists' });
  });

  it('returns the classification of every top-level field, in the answer, the list and GET /v1/record-types/{code}', async () => {
    const admin = await token('health', ['department_admin']);
    const created = await create({ ...birthRecord, code: 'classified_birth' }, admin);
    expect(created.response.status).toBe(201);
    expect(created.data?.classification).toEqual({ childName: 'personal', birthDate: 'personal' });
    const list = await client().GET('/v1/record-types', { params: { query: { limit: 100 } } });
    expect(list.data?.items.find((r) => r.code === 'classified_birth')?.classification).toEqual({
      childName: 'personal',
      birthDate: 'personal',
    });
    // Public like the list: no token needed.
    const one = await client().GET('/v1/record-types/{code}', {
      params: { path: { code: 'classified_birth' } },
    });
    expect(one.response.status).toBe(200);
    expect(one.data).toEqual(created.data);
  });

  it('answers GET /v1/record-types/{code} with 404 for an unknown type and 400 for a malformed code', async () => {
    const missing = await client().GET('/v1/record-types/{code}', {
      params: { path: { code: 'no_such_type' } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'not_found' });
    const malformed = await client().GET('/v1/record-types/{code}', {
      params: { path: { code: 'Birth-Record' } },
    });
    expect(malformed.response.status).toBe(400);
    expect(malformed.error).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'params.code' }],
    });
  });

  it('refuses a classification that misses a top-level field or names one the schema lacks, naming each', async () => {
    const admin = await token('health', ['department_admin']);
    const res = await create(
      {
        ...birthRecord,
        code: 'badly_classified',
        classification: { childName: 'personal', eyeColour: 'basic' },
      },
      admin,
    );
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ code: 'validation_failed' });
    expect((res.error as { errors: unknown[] }).errors).toEqual([
      { field: 'body.classification.birthDate', message: expect.stringContaining('is required') },
      {
        field: 'body.classification.eyeColour',
        message: 'is not a top-level field of the field schema',
      },
    ]);
    const absent = await create(
      { ...birthRecord, code: 'unclassified', classification: undefined as never },
      admin,
    );
    expect(absent.response.status).toBe(400);
    expect(absent.error).toMatchObject({ errors: [{ field: 'body.classification' }] });
    const unknownLevel = await create(
      {
        ...birthRecord,
        code: 'secret_level',
        classification: { childName: 'secret' as never, birthDate: 'basic' },
      },
      admin,
    );
    expect(unknownLevel.response.status).toBe(400);
    expect(JSON.stringify(unknownLevel.error)).toContain('body.classification.childName');
    const list = await client().GET('/v1/record-types', { params: { query: { limit: 100 } } });
    expect(list.data?.items.map((r) => r.code)).not.toContain('badly_classified');
  });

  it('fetched identity’s keys once for many requests', async () => {
    const admin = await token('health', ['department_admin']);
    for (let i = 0; i < 5; i++) await create({ ...birthRecord, code: `kind_${i}` }, admin);
    expect(jwksFetches).toBe(1);
  });

  it('refuses without a token (401), to a clerk (403) and for another department (403)', async () => {
    expect((await create({ ...birthRecord, code: 'nope_a' })).response.status).toBe(401);
    expect(
      (await create({ ...birthRecord, code: 'nope_b' }, await token('health', ['counter_clerk'])))
        .response.status,
    ).toBe(403);
    const other = await create(
      { ...birthRecord, code: 'nope_c', issuerDepartment: 'health' },
      await token('civil_affairs', ['department_admin']),
    );
    expect(other.response.status).toBe(403);
    expect(other.error).toMatchObject({ code: 'forbidden' });
  });

  it('refuses a token signed by a key identity does not publish', async () => {
    const { privateKey: stranger } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await signAccessToken({
      key: stranger,
      kid,
      issuer: 'tb',
      audience: 'tongban',
      claims: {
        kind: 'staff',
        sub: 'x',
        client_id: 'c',
        department: 'health',
        roles: ['system_admin'],
        scope: '',
      },
      now: new Date(),
    });
    const res = await create({ ...birthRecord, code: 'forged' }, forged);
    expect(res.response.status).toBe(401);
  });

  it('refuses a field schema with a misspelt keyword', async () => {
    const admin = await token('health', ['department_admin']);
    const res = await create(
      {
        ...birthRecord,
        code: 'typo_schema',
        fieldSchema: { type: 'object', properties: {}, requried: ['x'] },
        classification: {},
      },
      admin,
    );
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ errors: [{ field: 'body.fieldSchema' }] });
  });

  it('refuses control and bidi characters in names and anywhere in the field schema (defect 3)', async () => {
    const admin = await token('health', ['department_admin']);
    const cases: [NewRecordType, string][] = [
      [{ ...birthRecord, code: 'nul_name', name: { zh: '出生\u0000', en: 'Birth' } }, 'name'],
      [{ ...birthRecord, code: 'bidi_name', name: { zh: '出生', en: '\u202eBirth' } }, 'name'],
      [
        {
          ...birthRecord,
          code: 'nul_description',
          fieldSchema: {
            type: 'object',
            properties: { childName: { type: 'string', description: 'name\u0000' } },
          },
          classification: { childName: 'personal' },
        },
        'body.fieldSchema.properties.childName.description',
      ],
      [
        {
          ...birthRecord,
          code: 'bidi_key',
          fieldSchema: { type: 'object', properties: { 'child\u2066Name': { type: 'string' } } },
          classification: { 'child\u2066Name': 'personal' },
        },
        'body.fieldSchema.properties',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await create(body, admin);
      expect(res.response.status, body.code).toBe(400);
      expect(res.error).toMatchObject({ code: 'validation_failed' });
      expect(JSON.stringify(res.error), body.code).toContain(field);
    }
  });

  it('replays the creation to a retry with the same Idempotency-Key', async () => {
    const admin = await token('health', ['department_admin']);
    const body = { ...birthRecord, code: 'medical_insurance_card' };
    const first = await create(body, admin, 'create-rt-1');
    const retry = await create(body, admin, 'create-rt-1');
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.data).toEqual(first.data);
  });
});
