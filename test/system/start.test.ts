import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createIdentityClient, createRecordsClient, createWorkflowClient } from '@tongban/clients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as city from '../../scripts/seed/demo-city.js';
import { seedDemoCity, seedRecord } from '../../scripts/seed/seed.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

/** A demo secret as README's walk reads it: from the data folder the launcher was given. */
const demoSecret = async (system: RunningSystem, name: string) =>
  (await readFile(join(system.dataDir, 'secrets', name), 'utf8')).trim();

/** A seeded resident's subject id, from the credentials file the seed writes. */
async function subjectOf(system: RunningSystem, fullName: string): Promise<string> {
  const credentials = await readFile(join(system.dataDir, 'demo', 'credentials.txt'), 'utf8');
  const subject = new RegExp(`^resident ${fullName} subject (\\S+) `, 'm').exec(credentials)?.[1];
  if (subject === undefined) throw new Error(`no subject for ${fullName} in credentials.txt`);
  return subject;
}

/** A demo staff member's records client, signed in through identity with the demo password. */
async function recordsAs(system: RunningSystem, username: string) {
  const identity = createIdentityClient({ baseUrl: system.urls.identity });
  const login = await identity.POST('/v1/auth/login', {
    body: { username, password: await demoSecret(system, 'demo-staff-password') },
  });
  if (!login.data) throw new Error(`login as ${username}: ${login.response.status}`);
  return {
    staff: login.data.staff,
    records: createRecordsClient({ baseUrl: system.urls.records, token: login.data.accessToken }),
  };
}

describe('the start command', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  }, 180_000);
  afterAll(async () => {
    if (system?.process.exitCode === null) await system.stop();
  });

  it('prints every URL and the API docs URLs', () => {
    const out = system.output();
    for (const url of Object.values(system.urls)) expect(out).toContain(url);
    expect(out).toContain(`${system.urls.identity}/docs`);
  });

  it('brings all four services up, alive and ready', async () => {
    for (const base of Object.values(system.urls)) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
  });

  it('serves a valid OpenAPI 3.1 document from identity, workflow and records', async () => {
    for (const base of [system.urls.identity, system.urls.workflow, system.urls.records]) {
      const doc = await (await fetch(`${base}/docs/json`)).json();
      const result = await new Validator().validate(doc);
      expect(result.errors ?? []).toEqual([]);
      expect(doc.openapi).toBe('3.1.0');
    }
  });

  it('publishes the shipped service catalogue, readable anonymously through the gateway', async () => {
    const workflow = createWorkflowClient({ baseUrl: `${system.urls.portal}/api/workflow` });
    const { data } = await workflow.GET('/v1/services');
    expect(data?.items.map((s) => [s.code, s.version])).toEqual([
      ['marriage_registration', 1],
      ['newborn_registration', 1],
      ['open_restaurant', 1],
    ]);
  });

  it('routes the portal gateway to each service', async () => {
    for (const name of ['identity', 'workflow', 'records']) {
      const res = await fetch(`${system.urls.portal}/api/${name}/readyz`);
      expect(res.status).toBe(200);
    }
  });

  it('seeds the demo city through the API, and staff can sign in through the gateway', async () => {
    const out = system.output();
    expect(out).toContain(
      `Demo city seeded (new this start: 6 departments, 18 staff, 2 clients, 4 residents, 7 record types, ${city.accessPolicies.length} access policies, 16 records, ${city.cases.length} cases)`,
    );
    expect(city.accessPolicies).toHaveLength(14);
    // The typed clients over real HTTP, through the gateway a browser uses.
    const identity = createIdentityClient({ baseUrl: `${system.urls.portal}/api/identity` });
    const departments = await identity.GET('/v1/departments');
    expect(departments.data?.items.map((d) => d.code)).toEqual(
      expect.arrayContaining([
        'public_security',
        'market_regulation',
        'fire_safety',
        'health',
        'civil_affairs',
        'social_security',
      ]),
    );
    const password = /public-security\.clerk\) \/ (\S+)/.exec(out)?.[1] ?? '';
    const login = await identity.POST('/v1/auth/login', {
      body: { username: 'public-security.clerk', password },
    });
    expect(login.response.status).toBe(200);
    expect(login.data?.staff.roles).toEqual(['counter_clerk']);
  });

  it('seeds record types with their classification, and seeding again adds nothing and fails nowhere', async () => {
    const records = createRecordsClient({ baseUrl: `${system.urls.portal}/api/records` });
    const types = await records.GET('/v1/record-types', { params: { query: { limit: 50 } } });
    expect(types.data?.items.map((t) => [t.code, t.issuerDepartment])).toEqual(
      expect.arrayContaining([
        ['birth_record', 'health'],
        ['household_registration', 'public_security'],
        ['business_licence', 'market_regulation'],
        ['fire_safety_inspection', 'fire_safety'],
        ['food_business_permit', 'market_regulation'],
        ['marriage_record', 'civil_affairs'],
        ['social_security_enrolment', 'social_security'],
      ]),
    );
    for (const type of types.data?.items ?? []) {
      const fields = Object.keys((type.fieldSchema.properties ?? {}) as object).sort();
      expect(Object.keys(type.classification).sort(), type.code).toEqual(fields);
    }
    const out = system.output();
    const again = await seedDemoCity({
      identityUrl: system.urls.identity,
      recordsUrl: system.urls.records,
      workflowUrl: system.urls.workflow,
      adminPassword: /sign in as admin \/ (\S+),/.exec(out)?.[1] ?? '',
      staffPassword: /public-security\.clerk\) \/ (\S+)/.exec(out)?.[1] ?? '',
    });
    // The second seed found every policy and record through the API (no Idempotency-Key is
    // involved, so this holds days later too) and made none twice.
    expect(again.created).toEqual({
      departments: 0,
      staff: 0,
      clients: 0,
      residents: 0,
      recordTypes: 0,
      policies: 0,
      records: 0,
      cases: 0,
    });
    // One of each, as the issuing department sees what it issued: the amended record at its
    // second version, the revoked one revoked once.
    const held = async (department: string, type: string, resident: string) => {
      const { records } = await recordsAs(system, `${department.replace(/_/g, '-')}.officer`);
      const list = await records.GET('/v1/records', {
        params: {
          query: {
            subjectId: await subjectOf(system, resident),
            type,
            purpose: 'demo_seed',
            includeRevoked: true,
          },
        },
      });
      expect(list.response.status).toBe(200);
      return (list.data?.items ?? []).map((r) => ({ status: r.status, version: r.version }));
    };
    expect(await held('public_security', 'household_registration', '陈杰')).toEqual([
      { status: 'active', version: 2 },
    ]);
    expect(await held('market_regulation', 'food_business_permit', '王芳')).toEqual([
      { status: 'revoked', version: 1 },
    ]);
    expect(await held('health', 'birth_record', '陈杰')).toEqual([
      { status: 'active', version: 1 },
    ]);
    const policies = await (await recordsAs(system, 'public-security.admin')).records.GET(
      '/v1/policies',
      { params: { query: { recordType: 'household_registration', limit: 200 } } },
    );
    expect(policies.data?.items.map((p) => [p.readerDepartment, p.purpose]).sort()).toEqual(
      city.accessPolicies
        .filter((p) => p.recordType === 'household_registration')
        .map((p) => [p.readerDepartment, p.purpose])
        .sort(),
    );
  });

  it('finishes a demo record an earlier seed left part-way, and publishes a missing one once', async () => {
    const { records: officer } = await recordsAs(system, 'public-security.officer');
    const hukou = (address: string) => ({
      householdNumber: '110101555',
      householdType: 'family',
      relationshipToHead: 'head',
      address,
      registeredOn: '2020-01-02',
    });
    const record: city.DemoRecord = {
      key: 'partial-hukou',
      type: 'household_registration',
      resident: '陈杰',
      data: hukou('北京市东城区北新桥街道东四北大街1号'),
      amend: hukou('北京市东城区北新桥街道东四北大街2号'),
      revoke: '登记地址有误，已更正。',
    };
    const stateOf = async (subjectId: string) => {
      const list = await officer.GET('/v1/records', {
        params: {
          query: { subjectId, type: record.type, purpose: 'demo_seed', includeRevoked: true },
        },
      });
      return (list.data?.items ?? []).map((r) => ({
        status: r.status,
        version: r.version,
        data: r.data,
      }));
    };
    const finished = [{ status: 'revoked', version: 2, data: record.amend }];

    // An earlier seed published version 1 and stopped: the next one amends and revokes it.
    const halfway = randomBytes(12).toString('base64url');
    const first = await officer.POST('/v1/records', {
      body: { type: record.type, subjectId: halfway, data: record.data },
    });
    expect(first.response.status).toBe(201);
    expect(await seedRecord(officer, record, halfway)).toBe(false);
    expect(await stateOf(halfway)).toEqual(finished);
    expect(await seedRecord(officer, record, halfway)).toBe(false);
    expect(await stateOf(halfway)).toEqual(finished);

    // Never published: published, amended and revoked, then left alone.
    const missing = randomBytes(12).toString('base64url');
    expect(await seedRecord(officer, record, missing)).toBe(true);
    expect(await seedRecord(officer, record, missing)).toBe(false);
    expect(await stateOf(missing)).toEqual(finished);
  });

  it('lets a case officer read another department’s seeded record for a purpose its policy allows, with only the policy’s fields, and refuses a purpose without one', async () => {
    // social_security reads public_security's household registration to enrol a resident.
    const policy = city.accessPolicies.find(
      (p) =>
        p.readerDepartment === 'social_security' &&
        p.recordType === 'household_registration' &&
        p.purpose === 'social_security_enrolment',
    );
    const seeded = city.records.find((r) => r.key === 'hukou-zhang-wei');
    if (!policy || !seeded) throw new Error('the demo city lacks the policy or record read here');
    const subjectId = await subjectOf(system, seeded.resident);
    const { staff, records } = await recordsAs(system, 'social-security.officer');
    expect(staff).toMatchObject({ department: 'social_security', roles: ['case_officer'] });

    const list = await records.GET('/v1/records', {
      params: { query: { subjectId, type: seeded.type, purpose: policy.purpose } },
    });
    expect(list.response.status).toBe(200);
    expect(list.data?.items).toHaveLength(1);
    const record = list.data?.items[0];
    const released = Object.fromEntries(
      Object.entries(seeded.data).filter(([field]) => policy.fields.includes(field)),
    );
    expect(record).toMatchObject({
      type: 'household_registration',
      subjectId,
      issuerDepartment: 'public_security',
      status: 'active',
      data: released,
    });
    expect(Object.keys(record?.data ?? {}).sort()).toEqual([...policy.fields].sort());
    expect([...(record?.releasedFields ?? [])].sort()).toEqual([...policy.fields].sort());
    // What the policy leaves out is nowhere in the answer.
    const body = JSON.stringify(list.data);
    for (const [field, value] of Object.entries(seeded.data)) {
      if (!policy.fields.includes(field)) expect(body, field).not.toContain(String(value));
    }

    const byId = await records.GET('/v1/records/{id}', {
      params: { path: { id: record?.id ?? '' }, query: { purpose: policy.purpose } },
    });
    expect(byId.response.status).toBe(200);
    expect(byId.data?.data).toEqual(released);

    // Civil affairs may read household registrations for marriage registration; social
    // security may not.
    const refused = await records.GET('/v1/records/{id}', {
      params: { path: { id: record?.id ?? '' }, query: { purpose: 'marriage_registration' } },
    });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ code: 'purpose_not_allowed' });
    expect(JSON.stringify(refused.error)).not.toContain(String(seeded.data.address));
    const refusedList = await records.GET('/v1/records', {
      params: { query: { subjectId, type: seeded.type, purpose: 'marriage_registration' } },
    });
    expect(refusedList.response.status).toBe(403);
    expect(refusedList.error).toMatchObject({ code: 'purpose_not_allowed' });
  });

  it('opens the demo cases at the counters, so each first step is in its department queue with the records pulled', async () => {
    const identity = createIdentityClient({ baseUrl: system.urls.identity });
    const password = await demoSecret(system, 'demo-staff-password');
    for (const demo of city.cases) {
      const login = await identity.POST('/v1/auth/login', {
        body: { username: `${demo.counter.replace(/_/g, '-')}.officer`, password },
      });
      const workflow = createWorkflowClient({
        baseUrl: system.urls.workflow,
        token: login.data?.accessToken,
      });
      const queue = await workflow.GET('/v1/departments/{code}/tasks', {
        params: { path: { code: demo.counter }, query: { view: 'open', limit: 100 } },
      });
      expect(queue.response.status).toBe(200);
      const item = queue.data?.items.find((t) => t.case.service.code === demo.service);
      expect(item, demo.key).toBeDefined();
      const opened = await workflow.GET('/v1/cases/{id}', {
        params: { path: { id: item?.case.id ?? '' }, query: {} },
      });
      expect(opened.data).toMatchObject({
        subjectId: await subjectOf(system, demo.resident),
        status: 'in_progress',
        submittedBy: { kind: 'staff', department: demo.counter },
        records: { pulled: true },
      });
    }
  });

  it('gives workflow its client at identity: the demo secret gets a records:read token for the service centre', async () => {
    const secret = await demoSecret(system, 'workflow-client-secret');
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const identity = createIdentityClient({ baseUrl: system.urls.identity });
    const res = await identity.POST('/v1/auth/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: 'tb-workflow',
        client_secret: secret,
      },
    });
    expect(res.response.status).toBe(200);
    expect(res.data?.scope).toBe('records:read');
    const departments = await identity.GET('/v1/departments', { params: { query: { limit: 50 } } });
    expect(departments.data?.items.find((d) => d.code === 'service_centre')?.name).toEqual({
      zh: '政务服务中心',
      en: 'Government Service Centre',
    });
  });

  it('lets records accept a token identity issued (checked against the JWKS over HTTP)', async () => {
    const password = /public-security\.clerk\) \/ (\S+)/.exec(system.output())?.[1] ?? '';
    const identity = createIdentityClient({ baseUrl: system.urls.identity });
    const login = await identity.POST('/v1/auth/login', {
      body: { username: 'health.admin', password },
    });
    const records = createRecordsClient({
      baseUrl: `${system.urls.portal}/api/records`,
      token: login.data?.accessToken,
    });
    const created = await records.POST('/v1/record-types', {
      body: {
        code: 'vaccination_record',
        name: { zh: '预防接种证', en: 'Vaccination record' },
        fieldSchema: { type: 'object', properties: { vaccine: { type: 'string' } } },
        classification: { vaccine: 'personal' },
      },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.issuerDepartment).toBe('health');
  });

  it('stops every service cleanly on Ctrl-C and exits 0', async () => {
    expect(await system.stop()).toBe(0);
    await expect(fetch(`${system.urls.identity}/healthz`)).rejects.toThrow();
  }, 30_000);
});
