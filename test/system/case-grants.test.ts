import type { AddressInfo } from 'node:net';
import {
  CASE_GRANT_AUDIENCE,
  CASE_GRANT_TYP,
  DEFAULT_CASE_GRANT_ISSUER,
  MAX_CASE_GRANT_LIFETIME_SECONDS,
} from '@tongban/tokens';
import { and, eq } from 'drizzle-orm';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../../services/records/src/db/schema.js';
import { startTestApp as startRecords } from '../../services/records/test/helpers/app.js';
import { caseGrantKey, signCaseGrant } from '../../services/records/test/helpers/case-grant.js';
import {
  manualClock,
  type ReadCallers,
  readCallers,
} from '../../services/records/test/helpers/read-callers.js';
import { issueCaseGrant } from '../../services/workflow/src/domain/case-grants/issue-case-grant.js';
import { startTestApp as startWorkflow } from '../../services/workflow/test/helpers/app.js';

// Workflow issues a case grant with its own key; records, configured with workflow's JWKS URL,
// fetches that JWKS over HTTP and lets the grant's department read for the grant's case.
describe('case grants: issued by workflow, honoured by records', () => {
  const clock = manualClock();
  const SUBJECT = 'SubGrant00000001';
  const CASE = 'C-2030-0042';
  let callers: ReadCallers;
  let workflow: Awaited<ReturnType<typeof startWorkflow>>;
  let records: Awaited<ReturnType<typeof startRecords>>;
  let recordId: string;
  let reader: string;

  const issue = (input: Partial<Parameters<typeof issueCaseGrant>[0]['input']> = {}) =>
    issueCaseGrant({
      keys: workflow.keys,
      clock: clock.now,
      input: {
        caseId: CASE,
        subjectId: SUBJECT,
        department: 'civil_affairs',
        types: ['birth_record'],
        ...input,
      },
    });

  const read = async (grant: string, options: { caseId?: string; token?: string } = {}) =>
    records.app.inject({
      method: 'GET',
      url: `/v1/records?subjectId=${SUBJECT}&type=birth_record&purpose=case:${options.caseId ?? CASE}`,
      headers: { authorization: `Bearer ${options.token ?? reader}`, 'case-grant': grant },
    });

  beforeAll(async () => {
    callers = await readCallers(clock.now);
    workflow = await startWorkflow({}, { clock: clock.now, keyResolver: callers.keyResolver });
    await workflow.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = workflow.app.server.address() as AddressInfo;
    records = await startRecords(
      { WORKFLOW_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json` },
      { keyResolver: callers.keyResolver, clock: clock.now },
    );

    const admin = {
      authorization: `Bearer ${await callers.staff('health', ['department_admin'])}`,
    };
    const created = await records.app.inject({
      method: 'POST',
      url: '/v1/record-types',
      headers: admin,
      payload: {
        code: 'birth_record',
        name: { zh: '出生医学证明', en: 'Birth record' },
        fieldSchema: {
          type: 'object',
          properties: { childName: { type: 'string' }, birthPlace: { type: 'string' } },
        },
        classification: { childName: 'personal', birthPlace: 'personal' },
      },
    });
    expect(created.statusCode).toBe(201);
    const policy = await records.app.inject({
      method: 'POST',
      url: '/v1/policies',
      headers: admin,
      payload: {
        readerDepartment: 'civil_affairs',
        recordType: 'birth_record',
        purpose: 'case',
        fields: ['childName'],
        consentRequired: false,
      },
    });
    expect(policy.statusCode).toBe(201);
    const published = await records.app.inject({
      method: 'POST',
      url: '/v1/records',
      headers: { authorization: `Bearer ${await callers.client('health', ['records:write'])}` },
      payload: {
        type: 'birth_record',
        subjectId: SUBJECT,
        data: { childName: '张小明', birthPlace: '杭州' },
      },
    });
    expect(published.statusCode).toBe(201);
    recordId = (published.json() as { id: string }).id;
    reader = await callers.client('civil_affairs', ['records:read']);
  });
  afterAll(async () => {
    await records?.close();
    await workflow?.close();
  });

  it('issues a grant in the shared format, signed by a key workflow publishes', async () => {
    const { token, claims } = await issue();
    const header = decodeProtectedHeader(token);
    const jwks = await workflow.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    const kids = (jwks.json().keys as JWK[]).map((k) => k.kid);
    expect(header).toEqual({ alg: 'EdDSA', typ: CASE_GRANT_TYP, kid: kids[0] });
    expect(decodeJwt(token)).toEqual(claims);
    const iat = Math.floor(clock.now().getTime() / 1000);
    expect(claims).toMatchObject({
      iss: DEFAULT_CASE_GRANT_ISSUER,
      aud: CASE_GRANT_AUDIENCE,
      sub: SUBJECT,
      case: CASE,
      dept: 'civil_affairs',
      types: ['birth_record'],
      iat,
      exp: iat + 300,
    });
    // Capped at the format's maximum; the key overlap lets workflow sign that long.
    const long = await issue({ lifetimeSeconds: 3600 });
    expect(long.claims.exp - long.claims.iat).toBe(MAX_CASE_GRANT_LIFETIME_SECONDS);
    await expect(issue({ types: [] })).rejects.toThrow(/not a case grant/);
    await expect(issue({ caseId: 'case with spaces' })).rejects.toThrow(/not a case grant/);
    await expect(issue({ lifetimeSeconds: 0 })).rejects.toThrow(RangeError);
  });

  it('lets the grant’s department read for the case, releasing the policy’s fields, logged with the case', async () => {
    const { token } = await issue();
    const res = await read(token);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; data: unknown }[];
    expect(items.map((i) => i.id)).toEqual([recordId]);
    expect(items[0]?.data).toEqual({ childName: '张小明' });

    const entries = await records.database.db
      .select()
      .from(accessLog)
      .where(and(eq(accessLog.recordId, recordId), eq(accessLog.outcome, 'released')));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      purpose: `case:${CASE}`,
      caseId: CASE,
      readerDepartment: 'civil_affairs',
      subjectId: SUBJECT,
      fields: ['childName'],
    });
  });

  it('refuses a grant for another case, department or record type', async () => {
    const otherCase = await read((await issue({ caseId: 'C-2030-0043' })).token);
    const otherDepartment = await read((await issue({ department: 'public_security' })).token);
    const otherType = await read((await issue({ types: ['marriage_record'] })).token);
    for (const res of [otherCase, otherDepartment, otherType]) {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'case_grant_invalid' });
    }
    // Another department holding civil affairs' grant: refused before the grant is looked at,
    // as no policy lets that department read the type for a case.
    const wrongReader = await read((await issue()).token, {
      token: await callers.client('public_security', ['records:read']),
    });
    expect(wrongReader.statusCode).toBe(403);
    expect(wrongReader.json()).toMatchObject({ code: 'purpose_not_allowed' });
  });

  it('keeps honouring a grant signed before a key rotation until it expires', async () => {
    const before = await issue({ lifetimeSeconds: 600 });
    const oldKid = decodeProtectedHeader(before.token).kid;
    expect((await read(before.token)).statusCode).toBe(200);

    await workflow.keys.rotate();
    const after = await issue();
    expect(decodeProtectedHeader(after.token).kid).not.toBe(oldKid);
    const jwks = await workflow.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect((jwks.json().keys as JWK[]).map((k) => k.kid)).toContain(oldKid);

    clock.advance(5 * 60_000);
    expect((await read(before.token)).statusCode).toBe(200);
    clock.advance(5 * 60_000 + 31_000);
    const expired = await read(before.token);
    expect(expired.statusCode).toBe(403);
    expect(expired.json()).toMatchObject({ code: 'case_grant_expired' });
  });

  it('refuses a grant signed by a key workflow never published', async () => {
    const stranger = await caseGrantKey('workflow-never-published');
    const forged = await signCaseGrant({
      key: stranger,
      now: clock.now(),
      subjectId: SUBJECT,
      caseId: CASE,
      department: 'civil_affairs',
      types: ['birth_record'],
    });
    const res = await read(forged);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'case_grant_invalid' });
  });
});
