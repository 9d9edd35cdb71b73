import { Validator } from '@seriousme/openapi-schema-validator';
import { createIdentityClient, createRecordsClient } from '@tongban/clients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../scripts/seed/seed.js';
import { type RunningSystem, startSystem } from '../helpers/system.js';

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

  it('routes the portal gateway to each service', async () => {
    for (const name of ['identity', 'workflow', 'records']) {
      const res = await fetch(`${system.urls.portal}/api/${name}/readyz`);
      expect(res.status).toBe(200);
    }
  });

  it('seeds the demo city through the API, and staff can sign in through the gateway', async () => {
    const out = system.output();
    expect(out).toMatch(
      /Demo city seeded \(new this start: 6 departments, 18 staff, 2 clients, 4 residents, 7 record types, 16 records\)/,
    );
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
      adminPassword: /sign in as admin \/ (\S+),/.exec(out)?.[1] ?? '',
      staffPassword: /public-security\.clerk\) \/ (\S+)/.exec(out)?.[1] ?? '',
    });
    // Every record's publication was answered from its Idempotency-Key: none published twice.
    expect(again.created).toEqual({
      departments: 0,
      staff: 0,
      clients: 0,
      residents: 0,
      recordTypes: 0,
      records: 0,
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
