import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { identityKeyResolver } from '@tongban/auth';
import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestApp as startIdentity,
  testClock,
} from '../../services/identity/test/helpers/app.js';
import {
  adminToken,
  bearer,
  clerkIn,
  presentation,
  residentWithDevice,
  verify,
} from '../../services/identity/test/helpers/flow.js';
import { accessLog } from '../../services/records/src/db/schema.js';
import { startTestApp as startRecords } from '../../services/records/test/helpers/app.js';
import { recordPuller } from '../../services/workflow/src/domain/cases/pull-case-records.js';
import { verificationChecker } from '../../services/workflow/src/domain/verifications/check-verification.js';
import { startTestApp as startWorkflow } from '../../services/workflow/test/helpers/app.js';
import { CATALOGUE, residentOf } from '../../services/workflow/test/helpers/case-world.js';
import { freePort } from '../helpers/system.js';

const NEWBORN_FORM = {
  childName: '王小满',
  childSex: 'female',
  birthDate: '2026-02-27',
  birthCertificateNumber: 'Q000000042',
  householdOf: 'mother',
};

const url = (app: { server: { address(): unknown } }) =>
  `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

// Acceptance 8: a case pulls its records from a real record API with its own case grant; a
// missing record is listed with its issuer; each pull is in the resident's access log with the
// purpose case:<id>; the officer of a step reads with a grant for their own department.
describe('POST /v1/cases pulls the records the service needs', () => {
  const clock = testClock(new Date('2026-03-02T01:00:00Z'));
  const SUBJECT = 'SubNewborn000001';
  let issuer: TestIssuer;
  const staff = (department: string, roles: string[], scopes: string[] = []) =>
    issuer.staff(department, roles, `staff-${department}-${roles.join('-')}`, scopes.join(' '));
  const client = (department: string, scopes: string[], subject = `client-${department}`) =>
    issuer.client(department, subject, scopes.join(' '));
  let workflow: Awaited<ReturnType<typeof startWorkflow>>;
  let records: Awaited<ReturnType<typeof startRecords>>;
  let recordsUrl = '';
  let recordsUp = true;
  let birthRecordId = '';

  beforeAll(async () => {
    issuer = await testIssuer(clock);
    const centreToken = await client('service_centre', ['records:read'], 'tb-workflow');
    let keys: Awaited<ReturnType<typeof startWorkflow>>['keys'] | undefined;
    workflow = await startWorkflow(
      {},
      {
        clock,
        keyResolver: issuer.keyResolver,
        catalogueDir: CATALOGUE,
        caseRecordsJob: { intervalMs: 24 * 3_600_000 },
        // The service centre's token as identity would issue it; records is reached over HTTP,
        // and is "down" while the test says so.
        pullRecords: (input) =>
          recordPuller({
            recordsUrl: recordsUp ? recordsUrl : 'http://127.0.0.1:9',
            token: async () => centreToken,
            keys: keys as NonNullable<typeof keys>,
            clock,
            department: 'service_centre',
          })(input),
      },
    );
    keys = workflow.keys;
    records = await startRecords(
      {},
      { keyResolver: issuer.keyResolver, caseGrantKeyResolver: workflow.keys, clock },
    );
    await records.app.listen({ port: 0, host: '127.0.0.1' });
    recordsUrl = url(records.app);

    const admin = async (department: string) =>
      bearer(await staff(department, ['department_admin']));
    for (const [code, issuer, field, readers] of [
      ['birth_record', 'health', 'certificateNumber', ['public_security']],
      ['household_registration', 'public_security', 'householdNumber', ['social_security']],
    ] as const) {
      const type = await records.app.inject({
        method: 'POST',
        url: '/v1/record-types',
        headers: await admin(issuer),
        payload: {
          code,
          name: { zh: code, en: code },
          fieldSchema: {
            type: 'object',
            properties: { [field]: { type: 'string' }, childName: { type: 'string' } },
          },
          classification: { [field]: 'basic', childName: 'personal' },
        },
      });
      expect(type.statusCode, type.body).toBe(201);
      for (const reader of ['service_centre', ...readers]) {
        const policy = await records.app.inject({
          method: 'POST',
          url: '/v1/policies',
          headers: await admin(issuer),
          payload: {
            readerDepartment: reader,
            recordType: code,
            purpose: 'case',
            fields: reader === 'service_centre' ? [field] : [field, 'childName'],
            consentRequired: false,
          },
        });
        expect(policy.statusCode, policy.body).toBe(201);
      }
    }
    const birth = await records.app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: bearer(await client('health', ['records:write'])),
      payload: {
        type: 'birth_record',
        subjectId: SUBJECT,
        data: { certificateNumber: 'Q000000042', childName: '王小满' },
      },
    });
    expect(birth.statusCode).toBe(201);
    birthRecordId = birth.json().id;
  });
  afterAll(async () => {
    await records?.close();
    await workflow?.close();
  });

  const submit = async (resident: Awaited<ReturnType<typeof residentOf>>) => {
    const res = await workflow.app.inject({
      method: 'POST',
      url: '/v1/cases',
      headers: await resident.headersFor('POST', '/v1/cases'),
      payload: { service: 'newborn_registration', form: NEWBORN_FORM },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };

  it('attaches references, lists the missing with their issuer, and logs each pull against the case', async () => {
    const resident = await residentOf(issuer, clock, SUBJECT);
    const created = await submit(resident);
    expect(created.records.pulled).toBe(true);
    expect(created.records.references).toEqual([
      expect.objectContaining({
        type: 'birth_record',
        step: 'birth_check',
        recordId: birthRecordId,
        version: 1,
        issuerDepartment: 'health',
      }),
      expect.objectContaining({ type: 'birth_record', step: 'household', recordId: birthRecordId }),
    ]);
    expect(created.records.missing).toEqual([
      { type: 'household_registration', step: 'household', issuerDepartment: 'public_security' },
      {
        type: 'household_registration',
        step: 'medical_insurance',
        issuerDepartment: 'public_security',
      },
      {
        type: 'household_registration',
        step: 'social_security_card',
        issuerDepartment: 'public_security',
      },
    ]);
    const entries = await records.database.db
      .select()
      .from(accessLog)
      .where(eq(accessLog.purpose, `case:${created.id}`));
    // One read per type; the resident holds no household registration, so only the birth
    // record's release is logged (a search that finds nothing releases nothing).
    expect(entries.map((e) => [e.typeCode, e.readerDepartment, e.caseId, e.outcome])).toEqual([
      ['birth_record', 'service_centre', created.id, 'released'],
    ]);

    // The timeline says the records were gathered.
    const events = await workflow.app.inject({
      method: 'GET',
      url: `/v1/cases/${created.id}/events`,
      headers: await resident.headersFor('GET', `/v1/cases/${created.id}/events`),
    });
    expect(events.json().items.map((e: { type: string }) => e.type)).toContain(
      'case.records_attached',
    );
  });

  it('lets the officer of a reached step read its records with a grant for their department, logged against the case', async () => {
    const resident = await residentOf(issuer, clock, SUBJECT);
    const created = await submit(resident);
    const officer = bearer(
      await staff('health', ['case_officer'], ['cases:read', 'cases:decide', 'records:read']),
    );
    const task = created.tasks.find((t: { step: string }) => t.step === 'birth_check');
    const grant = await workflow.app.inject({
      method: 'POST',
      url: `/v1/cases/${created.id}/tasks/${task.id}/case-grant`,
      headers: officer,
    });
    expect(grant.statusCode, grant.body).toBe(200);
    expect(grant.json()).toMatchObject({ purpose: `case:${created.id}`, types: ['birth_record'] });

    // The household step is not reached yet: public security gets no grant and sees no case.
    const household = created.tasks.find((t: { step: string }) => t.step === 'household');
    const early = await workflow.app.inject({
      method: 'POST',
      url: `/v1/cases/${created.id}/tasks/${household.id}/case-grant`,
      headers: bearer(
        await staff('public_security', ['case_officer'], ['cases:read', 'cases:decide']),
      ),
    });
    expect(early.statusCode).toBe(404);

    // Health issues birth records, so it reads them anyway; approve, then public security reads
    // with the grant for its own department.
    const approved = await workflow.app.inject({
      method: 'POST',
      url: `/v1/cases/${created.id}/tasks/${task.id}/decision`,
      headers: { ...officer, 'if-match': `"${created.id}.v${created.version}"` },
      payload: { decision: 'approve', reason: '出生医学证明核验无误' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    const police = bearer(
      await staff(
        'public_security',
        ['case_officer'],
        ['cases:read', 'cases:decide', 'records:read'],
      ),
    );
    const policeGrant = await workflow.app.inject({
      method: 'POST',
      url: `/v1/cases/${created.id}/tasks/${household.id}/case-grant`,
      headers: police,
    });
    expect(policeGrant.statusCode, policeGrant.body).toBe(200);
    const read = await records.app.inject({
      method: 'GET',
      url: `/v1/records?subjectId=${SUBJECT}&type=birth_record&purpose=case:${created.id}`,
      headers: { ...police, 'case-grant': policeGrant.json().token },
    });
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json().items[0].data).toEqual({
      certificateNumber: 'Q000000042',
      childName: '王小满',
    });
    const logged = await records.database.db
      .select()
      .from(accessLog)
      .where(eq(accessLog.readerDepartment, 'public_security'));
    expect(logged.map((e) => [e.purpose, e.caseId, e.outcome])).toContainEqual([
      `case:${created.id}`,
      created.id,
      'released',
    ]);
    // The grant of one case opens no other case's purpose.
    const other = await records.app.inject({
      method: 'GET',
      url: `/v1/records?subjectId=${SUBJECT}&type=birth_record&purpose=case:00000000-0000-4000-8000-000000000000`,
      headers: { ...police, 'case-grant': policeGrant.json().token },
    });
    expect(other.statusCode).toBe(403);
  });

  it('takes the case while records is down and attaches the records when the job retries', async () => {
    const resident = await residentOf(issuer, clock, SUBJECT);
    recordsUp = false;
    const created = await submit(resident).finally(() => {
      recordsUp = true;
    });
    expect(created.records).toEqual({ pulled: false, references: [], missing: [] });
    expect(created.tasks.find((t: { step: string }) => t.step === 'birth_check').status).toBe(
      'open',
    );
    await workflow.app.jobs.runNow('case-records');
    const read = await workflow.app.inject({
      method: 'GET',
      url: `/v1/cases/${created.id}`,
      headers: await resident.headersFor('GET', `/v1/cases/${created.id}`),
    });
    expect(read.json().records.pulled).toBe(true);
    expect(read.json().records.references[0].recordId).toBe(birthRecordId);
  });
});

// Acceptance 7 with a real identity: a clerk reaches a resident's cases only with a fresh
// verification of that resident made by the clerk's own department.
describe('scan-gated case access at the counter', () => {
  const clock = testClock(new Date('2026-03-02T01:00:00Z'));
  let identity: Awaited<ReturnType<typeof startIdentity>>;
  let workflow: Awaited<ReturnType<typeof startWorkflow>>;
  let clerk: { token: string; department: string };
  let otherClerk: { token: string; department: string };
  let alice: Awaited<ReturnType<typeof residentWithDevice>>;
  let bob: Awaited<ReturnType<typeof residentWithDevice>>;

  beforeAll(async () => {
    identity = await startIdentity(
      { WORKFLOW_CLIENT_SECRET: randomBytes(32).toString('base64url') },
      { clock },
    );
    await identity.app.listen({ port: 0, host: '127.0.0.1' });
    const identityUrl = url(identity.app);
    workflow = await startWorkflow(
      { IDENTITY_URL: identityUrl },
      {
        clock,
        keyResolver: identityKeyResolver(identityUrl),
        catalogueDir: CATALOGUE,
        checkVerification: verificationChecker({ identityUrl }),
      },
    );
    const admin = await adminToken(identity.app);
    clerk = await clerkIn(identity.app, admin);
    otherClerk = await clerkIn(identity.app, admin);
    alice = await residentWithDevice(identity, clerk.token);
    bob = await residentWithDevice(identity, clerk.token);
  });
  afterAll(async () => {
    await workflow?.close();
    await identity?.close();
  });

  const scan = async (who: typeof alice, by: { token: string }) => {
    const res = await verify(
      identity.app,
      by.token,
      await presentation(identity.app, who.device, who.token),
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json().verificationId as string;
  };
  const list = (subjectId: string, verificationId: string, by = clerk) =>
    workflow.app.inject({
      method: 'GET',
      url: `/v1/cases?subjectId=${subjectId}&verificationId=${verificationId}`,
      headers: bearer(by.token),
    });

  it('applies for the resident just scanned, then lists their cases', async () => {
    const aliceSubject = alice.enrolled.subjectId as string;
    const verificationId = await scan(alice, clerk);
    const applied = await workflow.app.inject({
      method: 'POST',
      url: '/v1/cases',
      headers: bearer(clerk.token),
      payload: {
        service: 'marriage_registration',
        form: { partnerSubject: 'PartnerSubject01', appointmentDate: '2026-05-20' },
        subjectId: aliceSubject,
        verificationId,
      },
    });
    expect(applied.statusCode, applied.body).toBe(201);
    expect(applied.json()).toMatchObject({
      subjectId: aliceSubject,
      submittedBy: { kind: 'staff', department: clerk.department },
    });
    const listed = await list(aliceSubject, verificationId);
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().items.map((c: { id: string }) => c.id)).toEqual([applied.json().id]);
  });

  it('refuses a verification of another resident, of another department, or older than 10 minutes', async () => {
    const aliceSubject = alice.enrolled.subjectId as string;
    const ofBob = await scan(bob, clerk);
    expect((await list(aliceSubject, ofBob)).json().code).toBe('verification_required');

    const byOther = await scan(alice, otherClerk);
    const foreign = await list(aliceSubject, byOther);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('verification_required');

    const fresh = await scan(alice, clerk);
    clock.advance(9 * 60_000);
    expect((await list(aliceSubject, fresh)).statusCode).toBe(200);
    clock.advance(2 * 60_000);
    const stale = await list(aliceSubject, fresh);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().detail).toMatch(/older than 10 minutes/);
  });

  it('says identity_unavailable (503) when identity cannot be asked', async () => {
    const down = await startWorkflow(
      {},
      {
        clock,
        keyResolver: identityKeyResolver(url(identity.app)),
        catalogueDir: CATALOGUE,
        checkVerification: verificationChecker({
          identityUrl: `http://127.0.0.1:${await freePort()}`,
        }),
      },
    );
    try {
      const res = await down.app.inject({
        method: 'GET',
        url: `/v1/cases?subjectId=${alice.enrolled.subjectId}&verificationId=${await scan(alice, clerk)}`,
        headers: bearer(clerk.token),
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('identity_unavailable');
    } finally {
      await down.close();
    }
  });
});
