import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  activate,
  adminToken,
  asResident,
  bearer,
  clerkIn,
  Device,
  enrol,
  presentation,
  residentIdNumber,
  residentToken,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

let t: TestApp;
let admin: string;
let clerk: { token: string; department: string };

beforeAll(async () => {
  t = await startTestApp();
  admin = await adminToken(t.app);
  clerk = await clerkIn(t.app, admin);
});
afterAll(() => t.close());

const inPerson = (
  payload: Record<string, unknown>,
  headers: Record<string, string> = bearer(clerk.token),
) => t.app.inject({ method: 'POST', url: '/v1/verifications/in-person', headers, payload });

describe('POST /v1/verifications/in-person', () => {
  it('records a verification for a resident without a smartphone, which the resident sees like a scan', async () => {
    // Enrolled with a phone they may never use; the ID card is what they bring.
    const idNumber = residentIdNumber();
    const r = await residentWithDevice(t, clerk.token);
    const enrolled = await enrol(t.app, clerk.token, {
      idDocument: { type: 'resident_id_card', number: idNumber },
    });
    expect(enrolled.statusCode).toBe(201);

    const requestId = randomUUID();
    const res = await inPerson(
      {
        idDocumentType: 'resident_id_card',
        idNumber: ` ${idNumber.toLowerCase()} `,
        counter: '窗口 3',
      },
      { ...bearer(clerk.token), 'x-request-id': requestId },
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      verificationId: expect.any(String),
      method: 'in_person',
      verifiedAt: t.clock().toISOString(),
      subjectId: enrolled.json().subjectId,
      credentialId: enrolled.json().credential.id,
    });
    const stored = await (t.database.db.execute(
      sql`select method, jti, device_id from identity.verifications where id = ${res.json().verificationId}`,
    ) as unknown as Promise<{ rows: unknown[] }>);
    expect(stored.rows).toEqual([{ method: 'in_person', jti: null, device_id: null }]);
    const events = (
      (await t.database.db.execute(
        sql`select type, data from identity.events where request_id = ${requestId}`,
      )) as unknown as { rows: { type: string; data: unknown }[] }
    ).rows;
    expect(events).toEqual([
      {
        type: 'verification.in_person',
        data: { credentialId: enrolled.json().credential.id, counter: '窗口 3' },
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(idNumber.slice(6));

    // A QR scan of another resident is the same kind of record, method presentation.
    expect(
      (await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token))).statusCode,
    ).toBe(200);
    const theirs = await asResident(t.app, r, 'GET', '/v1/me/verifications');
    expect(theirs.json().items).toEqual([expect.objectContaining({ method: 'presentation' })]);
  });

  it('shows up in the resident’s own history like any other verification', async () => {
    const idNumber = residentIdNumber();
    const enrolled = (
      await enrol(t.app, clerk.token, {
        idDocument: { type: 'resident_id_card', number: idNumber },
      })
    ).json();
    const device = await Device.create(t.clock);
    expect((await activate(t.app, enrolled.activation.code, device)).statusCode).toBe(201);
    const me = { device, token: await residentToken(t.app, device) };
    const res = await inPerson({
      idDocumentType: 'resident_id_card',
      idNumber,
      counter: 'window-9',
    });
    expect(res.statusCode).toBe(201);
    const mine = await asResident(t.app, me, 'GET', '/v1/me/verifications');
    expect(mine.json().items).toEqual([
      {
        id: res.json().verificationId,
        method: 'in_person',
        verifiedAt: res.json().verifiedAt,
        verifier: {
          kind: 'staff',
          department: { code: clerk.department, name: { zh: '测试部门', en: 'Test department' } },
        },
        counter: 'window-9',
      },
    ]);
  });

  it('answers an unknown ID with 404 not_found and nothing more', async () => {
    const res = await inPerson({
      idDocumentType: 'resident_id_card',
      idNumber: residentIdNumber(),
      counter: 'window-1',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not_found');
    expect(JSON.stringify(res.json())).not.toMatch(/subject|credential/i);
  });

  it('refuses a suspended or revoked credential with its code', async () => {
    const departmentAdmin = (
      await clerkIn(t.app, admin, { department: clerk.department, roles: ['department_admin'] })
    ).token;
    for (const [action, code] of [
      ['suspend', 'credential_suspended'],
      ['revoke', 'credential_revoked'],
    ] as const) {
      const idNumber = residentIdNumber();
      const enrolled = await enrol(t.app, clerk.token, {
        idDocument: { type: 'resident_id_card', number: idNumber },
      });
      const changed = await t.app.inject({
        method: 'POST',
        url: `/v1/credentials/${enrolled.json().credential.id}/${action}`,
        headers: bearer(departmentAdmin),
        payload: { reason: 'test' },
      });
      expect(changed.statusCode).toBe(200);
      const res = await inPerson({ idDocumentType: 'resident_id_card', idNumber, counter: 'w' });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe(code);
    }
  });

  it('is for counter clerks only, and refuses a bad number or counter text', async () => {
    const payload = { idDocumentType: 'passport', idNumber: 'E12345678', counter: 'w' };
    const auditor = await clerkIn(t.app, admin, { roles: ['auditor'] });
    expect((await inPerson(payload, bearer(auditor.token))).statusCode).toBe(403);
    expect((await inPerson(payload, {})).statusCode).toBe(401);
    const badCheckDigit = await inPerson({
      idDocumentType: 'resident_id_card',
      idNumber: '110101199003070000',
      counter: 'w',
    });
    expect(badCheckDigit.statusCode).toBe(400);
    expect(badCheckDigit.json().code).toBe('validation_failed');
    const control = await inPerson({ ...payload, counter: 'window\u0000' });
    expect(control.statusCode).toBe(400);
    const bidi = await inPerson({ ...payload, counter: 'window\u202e3' });
    expect(bidi.statusCode).toBe(400);
  });
});
