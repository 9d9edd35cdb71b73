import { createRecordsClient, type RecordsPaths } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, recordTypes } from '../src/db/schema.js';
import { PUBLIC_URL, startTestApp, type TestApp } from './helpers/app.js';
import { type TestResident, testResident } from './helpers/resident.js';

// One clock for the file: the service, every token and every proof read it; tests move it.
let now = Date.parse('2030-03-01T08:00:00Z');
const clock = () => new Date(now);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const inDays = (days: number) => new Date(now + days * DAY).toISOString();

type NewConsent =
  RecordsPaths['/v1/consents']['post']['requestBody']['content']['application/json'];

let t: TestApp;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await testIssuer(clock);
  t = await startTestApp({}, { keyResolver: issuer.keyResolver, clock });
  await t.database.db.insert(recordTypes).values(
    ['birth_record', 'business_licence'].map((code) => ({
      code,
      issuerDepartment: 'health',
      nameZh: '记录',
      nameEn: 'Record',
      fieldSchema: { type: 'object', properties: { name: { type: 'string' } } },
    })),
  );
});
afterAll(() => t.close());

// The typed client, as the resident page calls records (through app.inject); each call signs
// a fresh proof for exactly the request it makes.
const client = () => createRecordsClient({ baseUrl: PUBLIC_URL, fetch: injectFetch(t.app) });

const grant = async (who: TestResident, body: NewConsent, idempotencyKey?: string) =>
  client().POST('/v1/consents', {
    body,
    headers: {
      ...(await who.headersFor('POST', '/v1/consents')),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
  });

// The proof names the URL without its query (RFC 9449 §4.3), so the path is enough.
const list = async (who: TestResident, query: { limit?: number; cursor?: string } = {}) =>
  client().GET('/v1/consents', {
    params: { query },
    headers: await who.headersFor('GET', '/v1/consents'),
  });

const revoke = async (who: TestResident, id: string) =>
  client().DELETE('/v1/consents/{id}', {
    params: { path: { id } },
    headers: await who.headersFor('DELETE', `/v1/consents/${id}`),
  });

const consent = (overrides: Partial<NewConsent> = {}): NewConsent => ({
  department: 'civil_affairs',
  recordType: 'birth_record',
  purpose: 'housing_subsidy',
  expiresAt: inDays(30),
  ...overrides,
});

const resident = (subject?: string) => testResident(issuer, clock, subject);

describe('POST /v1/consents', () => {
  it('grants a consent to a department and tells that department', async () => {
    const alice = await resident();
    const res = await grant(alice, consent());
    expect(res.response.status).toBe(201);
    expect(res.data).toEqual({
      id: expect.any(String),
      department: 'civil_affairs',
      recordType: 'birth_record',
      purpose: 'housing_subsidy',
      status: 'active',
      expiresAt: inDays(30),
      createdAt: new Date(now).toISOString(),
      revokedAt: null,
    });
    expect(res.response.headers.get('location')).toBe(`/v1/consents/${res.data?.id}`);

    const events = await t.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.type, 'consent.granted'), eq(outbox.audience, 'civil_affairs')));
    const event = events.find(
      (e) => (e.payload as { aggregate: { id: string } }).aggregate.id === res.data?.id,
    );
    // Ids and codes only, no subject id (ADR 0003): whose consent it is stays with records.
    expect(event?.payload).toEqual({
      aggregate: { type: 'consent', id: res.data?.id },
      department: 'civil_affairs',
      recordType: 'birth_record',
      purpose: 'housing_subsidy',
    });
  });

  it('replays the grant to a retry with the same Idempotency-Key (each with its own proof)', async () => {
    const alice = await resident();
    const first = await grant(alice, consent({ purpose: 'retry_test' }), 'consent-1');
    const retry = await grant(alice, consent({ purpose: 'retry_test' }), 'consent-1');
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.data).toEqual(first.data);
    const listed = await list(alice);
    expect(listed.data?.items.filter((c) => c.purpose === 'retry_test')).toHaveLength(1);
  });

  it('refuses a record type that does not exist (400 on recordType)', async () => {
    const res = await grant(await resident(), consent({ recordType: 'no_such_type' }));
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({
      code: 'validation_failed',
      errors: [{ field: 'body.recordType' }],
    });
  });

  it('refuses case-bound purposes, which case grants cover, and the reserved self', async () => {
    const alice = await resident();
    for (const purpose of ['case:0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e1', 'case', 'self']) {
      const res = await grant(alice, consent({ purpose }));
      expect(res.response.status, purpose).toBe(400);
      expect(res.error, purpose).toMatchObject({ code: 'validation_failed' });
      expect(JSON.stringify(res.error), purpose).toContain('purpose');
    }
  });

  it('refuses an expiry in the past, now, more than a year ahead, or not a date-time', async () => {
    const alice = await resident();
    const yearAhead = new Date(now);
    yearAhead.setUTCFullYear(yearAhead.getUTCFullYear() + 1);
    for (const expiresAt of [
      inDays(-1),
      new Date(now).toISOString(),
      new Date(yearAhead.getTime() + 1000).toISOString(),
      '2031-13-01T00:00:00Z',
      'tomorrow',
    ]) {
      const res = await grant(alice, consent({ expiresAt }));
      expect(res.response.status, expiresAt).toBe(400);
      expect(res.error, expiresAt).toMatchObject({ code: 'validation_failed' });
      expect(JSON.stringify(res.error), expiresAt).toContain('expiresAt');
    }
    // Exactly a year ahead is the limit, and allowed.
    const atLimit = await grant(alice, consent({ expiresAt: yearAhead.toISOString() }));
    expect(atLimit.response.status).toBe(201);
  });

  it('refuses a malformed department code and unknown fields', async () => {
    const alice = await resident();
    for (const body of [
      consent({ department: 'Civil Affairs' }),
      consent({ department: 'x' }),
      { ...consent(), subjectId: 'someone-else' } as NewConsent,
    ]) {
      const res = await grant(alice, body);
      expect(res.response.status, JSON.stringify(body)).toBe(400);
      expect(res.error).toMatchObject({ code: 'validation_failed' });
    }
  });
});

describe('GET /v1/consents', () => {
  it('lists my own consents, newest first, with their status, a page at a time', async () => {
    const bob = await resident();
    const other = await resident();
    await grant(other, consent({ purpose: 'not_bobs' }));
    const ids: string[] = [];
    for (const purpose of ['first', 'second', 'third']) {
      const res = await grant(
        bob,
        consent({ purpose, expiresAt: inDays(purpose === 'first' ? 1 : 30) }),
      );
      ids.push(res.data?.id ?? '');
      now += 1000;
    }
    await revoke(bob, ids[1] ?? '');

    // Two days on, the first has expired; bob signs in again (his earlier token has expired too).
    now += 2 * DAY;
    const later = await resident(bob.subject);
    const firstPage = await list(later, { limit: 2 });
    expect(firstPage.response.status).toBe(200);
    expect(firstPage.data?.items.map((c) => [c.purpose, c.status])).toEqual([
      ['third', 'active'],
      ['second', 'revoked'],
    ]);
    const cursor = firstPage.data?.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const secondPage = await list(later, { limit: 2, cursor: cursor ?? '' });
    expect(secondPage.data?.items.map((c) => [c.purpose, c.status])).toEqual([
      ['first', 'expired'],
    ]);
    expect(secondPage.data?.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not issue', async () => {
    const alice = await resident();
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    const res = await list(alice, { cursor: forged });
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ code: 'validation_failed' });
  });
});

describe('DELETE /v1/consents/{id}', () => {
  it('revokes my consent once; revoking again answers the same revoked consent', async () => {
    const alice = await resident();
    const granted = await grant(alice, consent({ purpose: 'to_revoke' }));
    const id = granted.data?.id ?? '';
    now += 1000;
    const first = await revoke(alice, id);
    expect(first.response.status).toBe(200);
    expect(first.data).toMatchObject({
      id,
      status: 'revoked',
      revokedAt: new Date(now).toISOString(),
    });
    now += 1000;
    const again = await revoke(alice, id);
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual(first.data);
    const events = await t.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.type, 'consent.revoked'));
    expect(
      events.filter((e) => (e.payload as { aggregate: { id: string } }).aggregate.id === id),
    ).toHaveLength(1);
    expect(
      events.find((e) => (e.payload as { aggregate: { id: string } }).aggregate.id === id)
        ?.audience,
    ).toBe('civil_affairs');
  });

  it('answers 404 for another resident’s consent, as for an unknown one, and leaves it alone', async () => {
    const alice = await resident();
    const mallory = await resident();
    const granted = await grant(alice, consent({ purpose: 'alices_own' }));
    const id = granted.data?.id ?? '';
    for (const target of [id, '0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e1']) {
      const res = await revoke(mallory, target);
      expect(res.response.status).toBe(404);
      expect(res.error).toMatchObject({ code: 'not_found' });
    }
    const mine = await list(alice);
    expect(mine.data?.items.find((c) => c.id === id)?.status).toBe('active');
  });

  it('refuses an id that is not a UUID', async () => {
    const res = await revoke(await resident(), 'not-a-uuid');
    expect(res.response.status).toBe(400);
    expect(res.error).toMatchObject({ code: 'validation_failed' });
  });
});

describe('consents are the resident’s own', () => {
  const calls = [
    { method: 'GET', url: '/v1/consents' },
    { method: 'POST', url: '/v1/consents', payload: consent() },
    { method: 'DELETE', url: '/v1/consents/0190c6f0-6c3a-7cc2-a6f5-0d1c5fb1f0e1' },
  ] as const;

  it('refuses staff and department systems (403), whatever their roles', async () => {
    const tokens = [
      await issuer.staff('civil_affairs', ['department_admin', 'system_admin']),
      await issuer.client('civil_affairs'),
    ];
    for (const token of tokens) {
      for (const call of calls) {
        const res = await t.app.inject({
          ...call,
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.statusCode, `${call.method} ${call.url}`).toBe(403);
        expect(res.json().code).toBe('forbidden');
      }
    }
  });

  it('refuses anonymous callers (401) and residents without a proof (401 invalid_dpop_proof)', async () => {
    const alice = await resident();
    for (const call of calls) {
      const anonymous = await t.app.inject(call);
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json().code).toBe('unauthorized');
      const unproven = await t.app.inject({
        ...call,
        headers: { authorization: `DPoP ${alice.token}` },
      });
      expect(unproven.statusCode).toBe(401);
      expect(unproven.json().code).toBe('invalid_dpop_proof');
    }
  });
});
