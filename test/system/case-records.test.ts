import type { AddressInfo } from 'node:net';
import { isApiError } from '@tongban/service-kit';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../services/records/src/db/schema.js';
import { startTestApp as startRecords } from '../../services/records/test/helpers/app.js';
import { manualClock, readCallers } from '../../services/records/test/helpers/read-callers.js';
import {
  type RecordPuller,
  recordPuller,
} from '../../services/workflow/src/domain/cases/pull-case-records.js';
import { startTestApp as startWorkflow } from '../../services/workflow/test/helpers/app.js';
import { freePort } from '../helpers/system.js';

// Workflow pulls a case's records from a real records service: its own case grant, the service
// centre's token, one read per type with purpose case:<id>, logged by records.
describe('recordPuller: the records a case needs, as references', () => {
  const clock = manualClock();
  const SUBJECT = 'SubPull000000001';
  const STRANGER = 'SubPull000000002';
  let workflow: Awaited<ReturnType<typeof startWorkflow>>;
  let records: Awaited<ReturnType<typeof startRecords>>;
  let recordsUrl: string;
  let centreToken: string;
  let newestHukou: { id: string; version: number; digest: string };

  const puller = (options: { url?: string; fetch?: typeof fetch } = {}): RecordPuller =>
    recordPuller({
      recordsUrl: options.url ?? recordsUrl,
      token: async () => centreToken,
      keys: workflow.keys,
      clock: clock.now,
      department: 'service_centre',
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });

  beforeAll(async () => {
    const callers = await readCallers(clock.now);
    workflow = await startWorkflow({}, { clock: clock.now, keyResolver: callers.keyResolver });
    records = await startRecords(
      {},
      { keyResolver: callers.keyResolver, caseGrantKeyResolver: workflow.keys, clock: clock.now },
    );
    await records.app.listen({ port: 0, host: '127.0.0.1' });
    recordsUrl = `http://127.0.0.1:${(records.app.server.address() as AddressInfo).port}`;
    centreToken = await callers.client('service_centre', ['records:read'], 'tb-workflow');

    // Administrators declare types and policies; each issuer's system publishes records.
    const as = async (department: string, method: 'POST' | 'PUT', url: string, payload: object) => {
      const token =
        url === '/v1/record-types' || url === '/v1/policies'
          ? await callers.staff(department, ['department_admin'])
          : await callers.client(department, ['records:write']);
      return records.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        payload,
      });
    };
    const types = [
      ['birth_record', 'health', 'certificateNumber'],
      ['household_registration', 'public_security', 'householdNumber'],
      ['marriage_record', 'civil_affairs', 'certificateNumber'],
    ] as const;
    for (const [code, issuer, field] of types) {
      const created = await as(issuer, 'POST', '/v1/record-types', {
        code,
        name: { zh: code, en: code },
        fieldSchema: {
          type: 'object',
          properties: { [field]: { type: 'string' }, note: { type: 'string' } },
        },
        classification: { [field]: 'basic', note: 'personal' },
      });
      expect(created.statusCode).toBe(201);
      const policy = await as(issuer, 'POST', '/v1/policies', {
        readerDepartment: 'service_centre',
        recordType: code,
        purpose: 'case',
        fields: [field],
        consentRequired: false,
      });
      expect(policy.statusCode).toBe(201);
    }
    const publish = async (type: string, issuer: string, data: object, subjectId = SUBJECT) => {
      const res = await as(issuer, 'POST', '/v1/records', { type, subjectId, data });
      expect(res.statusCode).toBe(201);
      return res;
    };
    await publish('birth_record', 'health', { certificateNumber: 'A000000001', note: '出生' });
    // Two registrations: the older one stays active, the newer is amended to version 2.
    await publish('household_registration', 'public_security', { householdNumber: '110101001' });
    clock.advance(1000);
    const newer = await publish('household_registration', 'public_security', {
      householdNumber: '110101002',
    });
    const amended = await records.app.inject({
      method: 'PUT',
      url: `/v1/records/${newer.json().id}`,
      headers: {
        authorization: `Bearer ${await callers.client('public_security', ['records:write'])}`,
        'if-match': newer.headers.etag as string,
      },
      payload: { data: { householdNumber: '110101003', note: '迁入' } },
    });
    expect(amended.statusCode).toBe(200);
    newestHukou = {
      id: amended.json().id,
      version: amended.json().version,
      digest: amended.json().digest,
    };
    expect(newestHukou.version).toBe(2);
    // Another resident's marriage: not this subject's.
    await publish('marriage_record', 'civil_affairs', { certificateNumber: 'J1' }, STRANGER);
  });
  afterAll(async () => {
    await records?.close();
    await workflow?.close();
  });

  it('references the newest active record of each type, one entry per step, and lists the missing with their issuer', async () => {
    const caseId = 'C-2030-0101';
    const pulled = await puller()({
      caseId,
      subjectId: SUBJECT,
      needs: [
        { type: 'birth_record', step: 'birth_check' },
        { type: 'birth_record', step: 'household' },
        { type: 'household_registration', step: 'household' },
        { type: 'marriage_record', step: 'register' },
        { type: 'vaccination_record', step: 'register' },
        { type: 'birth_record', step: 'household' },
      ],
    });
    const birth = await records.database.db
      .select()
      .from(accessLog)
      .where(and(eq(accessLog.typeCode, 'birth_record'), eq(accessLog.subjectId, SUBJECT)));
    const birthId = birth[0]?.recordId;
    expect(pulled.references).toEqual([
      {
        type: 'birth_record',
        step: 'birth_check',
        recordId: birthId,
        version: 1,
        digest: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        issuerDepartment: 'health',
      },
      {
        type: 'birth_record',
        step: 'household',
        recordId: birthId,
        version: 1,
        digest: pulled.references[0]?.digest,
        issuerDepartment: 'health',
      },
      {
        type: 'household_registration',
        step: 'household',
        recordId: newestHukou.id,
        version: 2,
        digest: newestHukou.digest,
        issuerDepartment: 'public_security',
      },
    ]);
    expect(pulled.missing).toEqual([
      { type: 'marriage_record', step: 'register', issuerDepartment: 'civil_affairs' },
      { type: 'vaccination_record', step: 'register', issuerDepartment: null },
    ]);

    // Each record read is in records' access log against the case, as the service centre,
    // releasing the one field its policy allows.
    const entries = await records.database.db
      .select()
      .from(accessLog)
      .where(eq(accessLog.purpose, `case:${caseId}`));
    expect(entries.map((e) => e.typeCode).sort()).toEqual([
      'birth_record',
      'household_registration',
      'household_registration',
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({
        caseId,
        subjectId: SUBJECT,
        readerDepartment: 'service_centre',
        outcome: 'released',
      });
      expect(entry.fields).toHaveLength(1);
    }
  });

  it('answers a case that needs nothing without calling records', async () => {
    const pulled = await puller({ url: 'http://127.0.0.1:9' })({
      caseId: 'C-2030-0102',
      subjectId: SUBJECT,
      needs: [],
    });
    expect(pulled).toEqual({ references: [], missing: [] });
  });

  it('throws records_unavailable (503, no detail of why) when records cannot be reached', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const err = await puller({ url: down })({
      caseId: 'C-2030-0103',
      subjectId: SUBJECT,
      needs: [{ type: 'birth_record', step: 'birth_check' }],
    }).catch((e: unknown) => e);
    expect(isApiError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'records_unavailable', status: 503 });
    expect(JSON.stringify(err)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|fetch failed/);
  });

  it('throws records_unavailable when records answers with a server error', async () => {
    const failing: typeof fetch = async () =>
      new Response(JSON.stringify({ code: 'internal_error' }), {
        status: 502,
        headers: { 'content-type': 'application/problem+json' },
      });
    await expect(
      puller({ fetch: failing })({
        caseId: 'C-2030-0104',
        subjectId: SUBJECT,
        needs: [{ type: 'birth_record', step: 'birth_check' }],
      }),
    ).rejects.toMatchObject({ code: 'records_unavailable', status: 503 });
  });

  it('throws records_unavailable when records refuses the read (a grant for another department)', async () => {
    const pull = recordPuller({
      recordsUrl,
      token: async () => centreToken,
      keys: workflow.keys,
      clock: clock.now,
      // The grant names a department other than the token's: records refuses it.
      department: 'tourism',
    });
    await expect(
      pull({
        caseId: 'C-2030-0105',
        subjectId: SUBJECT,
        needs: [{ type: 'birth_record', step: 'birth_check' }],
      }),
    ).rejects.toMatchObject({ code: 'records_unavailable' });
  });
});
