import { createRecordsClient, type RecordsPaths } from '@tongban/clients';
import { injectFetch } from '@tongban/clients/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../src/db/schema.js';
import { residentHeaders } from './helpers/read-callers.js';
import { type ReadWorld, startReadWorld } from './helpers/read-world.js';

type NewPolicy = RecordsPaths['/v1/policies']['post']['requestBody']['content']['application/json'];

describe('access policies: /v1/policies', () => {
  let w: ReadWorld;
  let healthAdmin: string;

  beforeAll(async () => {
    w = await startReadWorld();
    await w.createRecordType('health', 'birth_record', ['childName', 'birthDate', 'motherName']);
    await w.createRecordType('market_regulation', 'business_licence', ['name', 'address']);
    healthAdmin = await w.callers.staff('health', ['department_admin']);
  });
  afterAll(() => w.close());

  const client = (token?: string) =>
    createRecordsClient({
      baseUrl: 'http://records.test',
      fetch: injectFetch(w.t.app),
      ...(token ? { token } : {}),
    });

  const create = (body: NewPolicy, token?: string, idempotencyKey?: string) =>
    client(token).POST('/v1/policies', {
      body,
      params: { header: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} },
    });

  const withdraw = (id: string, token?: string) =>
    client(token).POST('/v1/policies/{id}/withdraw', { params: { path: { id } } });

  const policy = (overrides: Partial<NewPolicy> = {}): NewPolicy => ({
    readerDepartment: 'civil_affairs',
    recordType: 'birth_record',
    purpose: 'household_registration',
    fields: ['childName', 'birthDate'],
    consentRequired: false,
    ...overrides,
  });

  describe('POST /v1/policies', () => {
    it('lets the issuing department’s administrator allow a reader, and records policy.created', async () => {
      const res = await create(policy({ purpose: 'newborn_registration' }), healthAdmin);
      expect(res.response.status).toBe(201);
      expect(res.data).toMatchObject({
        readerDepartment: 'civil_affairs',
        recordType: 'birth_record',
        purpose: 'newborn_registration',
        fields: ['childName', 'birthDate'],
        consentRequired: false,
        withdrawnAt: null,
      });
      const id = res.data?.id ?? '';
      const recorded = await w.t.database.db
        .select()
        .from(events)
        .where(eq(events.aggregateId, id));
      expect(recorded).toMatchObject([
        {
          type: 'policy.created',
          aggregateType: 'access_policy',
          data: {
            id,
            readerDepartment: 'civil_affairs',
            recordType: 'birth_record',
            purpose: 'newborn_registration',
          },
        },
      ]);
    });

    it('refuses a second active policy for the same department, type and purpose (409)', async () => {
      const body = policy({ purpose: 'benefit_check' });
      expect((await create(body, healthAdmin)).response.status).toBe(201);
      const again = await create({ ...body, fields: ['childName'] }, healthAdmin);
      expect(again.response.status).toBe(409);
      expect(again.error).toMatchObject({ code: 'already_exists' });
    });

    it('replays the creation to a retry with the same Idempotency-Key', async () => {
      const body = policy({ purpose: 'retried_purpose' });
      const first = await create(body, healthAdmin, 'policy-retry-1');
      const retry = await create(body, healthAdmin, 'policy-retry-1');
      expect(first.response.status).toBe(201);
      expect(retry.response.status).toBe(201);
      expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.data).toEqual(first.data);
      const reused = await create(
        { ...body, consentRequired: true },
        healthAdmin,
        'policy-retry-1',
      );
      expect(reused.response.status).toBe(422);
      expect(reused.error).toMatchObject({ code: 'idempotency_conflict' });
    });

    it('names each field that is not a top-level field of the type (400)', async () => {
      const res = await create(
        policy({ purpose: 'typo_check', fields: ['childName', 'childNmae', 'address'] }),
        healthAdmin,
      );
      expect(res.response.status).toBe(400);
      expect(res.error).toMatchObject({
        code: 'validation_failed',
        errors: [
          { field: 'body.fields.1', message: expect.stringContaining('childNmae') },
          { field: 'body.fields.2', message: expect.stringContaining('address') },
        ],
      });
    });

    it('refuses empty fields, an unknown type, the reserved purpose self, a malformed purpose and the issuer as reader (400)', async () => {
      const cases: [NewPolicy, string][] = [
        [policy({ fields: [] }), 'body.fields'],
        [policy({ recordType: 'no_such_type' }), 'body.recordType'],
        [policy({ purpose: 'self' }), 'body.purpose'],
        [policy({ purpose: 'case:C-1' }), 'body.purpose'],
        [policy({ readerDepartment: 'health' }), 'body.readerDepartment'],
      ];
      for (const [body, field] of cases) {
        const res = await create(body, healthAdmin);
        expect(res.response.status, field).toBe(400);
        expect(res.error).toMatchObject({ code: 'validation_failed' });
        expect(JSON.stringify(res.error), JSON.stringify(body)).toContain(field);
      }
    });

    it('accepts the purpose case, which covers every case:<id> read', async () => {
      const res = await create(policy({ purpose: 'case' }), healthAdmin);
      expect(res.response.status).toBe(201);
    });

    it('lets a system administrator make a policy for any department’s type', async () => {
      const sysadmin = await w.callers.staff('it_office', ['system_admin']);
      const res = await create(
        policy({ recordType: 'business_licence', fields: ['name'], purpose: 'licence_check' }),
        sysadmin,
      );
      expect(res.response.status).toBe(201);
    });

    it('refuses without a token (401), and a clerk, a department system, a resident and the administrators of other departments (403)', async () => {
      const body = policy({ purpose: 'refused_purpose' });
      expect((await create(body)).response.status).toBe(401);
      const resident = await w.callers.resident('sub-resident-1');
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      const refused = [
        bearer(await w.callers.staff('health', ['case_officer'], ['records:read'])),
        bearer(await w.callers.client('health', ['records:write', 'records:read'])),
        await residentHeaders(resident, { method: 'POST', url: '/v1/policies' }),
        // The reader's own administrator cannot grant itself access to health's data.
        bearer(await w.callers.staff('civil_affairs', ['department_admin'])),
        bearer(await w.callers.staff('market_regulation', ['department_admin'])),
      ];
      for (const [index, headers] of refused.entries()) {
        const res = await w.t.app.inject({
          method: 'POST',
          url: '/v1/policies',
          headers,
          payload: body,
        });
        expect(res.statusCode, `caller ${index}`).toBe(403);
        expect(res.json()).toMatchObject({ code: 'forbidden' });
      }
      const other = await create(
        body,
        await w.callers.staff('civil_affairs', ['department_admin']),
      );
      expect(other.response.status).toBe(403);
      expect(other.error).toMatchObject({ code: 'forbidden' });
      const list = await client(healthAdmin).GET('/v1/policies', {
        params: { query: { recordType: 'birth_record' } },
      });
      expect(list.data?.items.some((p) => p.purpose === 'refused_purpose')).toBe(false);
    });
  });

  describe('POST /v1/policies/{id}/withdraw', () => {
    it('withdraws once, records policy.withdrawn, and answers a retry with the withdrawn policy', async () => {
      const created = await create(policy({ purpose: 'to_withdraw' }), healthAdmin);
      const id = created.data?.id ?? '';
      w.clock.advance(1000);
      const first = await withdraw(id, healthAdmin);
      expect(first.response.status).toBe(200);
      expect(first.data?.withdrawnAt).toBe(w.clock.now().toISOString());
      w.clock.advance(1000);
      const again = await withdraw(id, healthAdmin);
      expect(again.response.status).toBe(200);
      expect(again.data?.withdrawnAt).toBe(first.data?.withdrawnAt);
      const recorded = await w.t.database.db
        .select()
        .from(events)
        .where(eq(events.aggregateId, id));
      expect(recorded.map((e) => e.type).sort()).toEqual(['policy.created', 'policy.withdrawn']);
      // A new policy for the same key may follow the withdrawn one.
      expect((await create(policy({ purpose: 'to_withdraw' }), healthAdmin)).response.status).toBe(
        201,
      );
    });

    it('refuses the administrator of another department (403), a clerk (403), and an unknown id (404)', async () => {
      const created = await create(policy({ purpose: 'kept_policy' }), healthAdmin);
      const id = created.data?.id ?? '';
      const other = await withdraw(
        id,
        await w.callers.staff('civil_affairs', ['department_admin']),
      );
      expect(other.response.status).toBe(403);
      expect(other.error).toMatchObject({ code: 'forbidden' });
      const clerk = await withdraw(id, await w.callers.staff('health', ['counter_clerk']));
      expect(clerk.response.status).toBe(403);
      expect((await withdraw(id)).response.status).toBe(401);
      const unknown = await withdraw('0190f0e0-0000-7000-8000-000000000000', healthAdmin);
      expect(unknown.response.status).toBe(404);
      expect(unknown.error).toMatchObject({ code: 'not_found' });
      const still = await client(healthAdmin).GET('/v1/policies', {
        params: { query: { status: 'active', recordType: 'birth_record' } },
      });
      expect(still.data?.items.map((p) => p.id)).toContain(id);
    });
  });

  describe('GET /v1/policies', () => {
    it('shows every policy to staff and department systems of any department, with filters and pages', async () => {
      for (const purpose of ['page_a', 'page_b', 'page_c']) {
        // Ids are UUIDv7: one millisecond apart, they sort in creation order.
        w.clock.advance(1);
        await create(policy({ readerDepartment: 'social_security', purpose }), healthAdmin);
      }
      const readers = [
        await w.callers.staff('fire_safety', ['counter_clerk']),
        await w.callers.client('civil_affairs', []),
      ];
      for (const token of readers) {
        const first = await client(token).GET('/v1/policies', {
          params: { query: { readerDepartment: 'social_security', limit: 2 } },
        });
        expect(first.response.status).toBe(200);
        expect(first.data?.items.map((p) => p.purpose)).toEqual(['page_a', 'page_b']);
        const second = await client(token).GET('/v1/policies', {
          params: {
            query: {
              readerDepartment: 'social_security',
              limit: 2,
              cursor: first.data?.nextCursor ?? '',
            },
          },
        });
        expect(second.data?.items.map((p) => p.purpose)).toEqual(['page_c']);
        expect(second.data?.nextCursor).toBeNull();
      }
      const withdrawn = await client(readers[0]).GET('/v1/policies', {
        params: { query: { status: 'withdrawn' } },
      });
      expect(withdrawn.data?.items.every((p) => p.withdrawnAt !== null)).toBe(true);
      const licences = await client(readers[0]).GET('/v1/policies', {
        params: { query: { recordType: 'business_licence' } },
      });
      expect(licences.data?.items.every((p) => p.recordType === 'business_licence')).toBe(true);
    });

    it('refuses anonymous callers (401), residents (403) and a made-up cursor (400)', async () => {
      expect((await client().GET('/v1/policies')).response.status).toBe(401);
      const resident = await w.callers.resident('sub-resident-2');
      const res = await w.t.app.inject({
        method: 'GET',
        url: '/v1/policies',
        headers: await residentHeaders(resident, { method: 'GET', url: '/v1/policies' }),
      });
      expect(res.statusCode).toBe(403);
      const cursor = Buffer.from(JSON.stringify(['not-a-uuid'])).toString('base64url');
      const bad = await client(healthAdmin).GET('/v1/policies', { params: { query: { cursor } } });
      expect(bad.response.status).toBe(400);
      expect(bad.error).toMatchObject({ code: 'validation_failed' });
    });
  });
});
