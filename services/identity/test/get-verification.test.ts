import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  adminToken,
  asResident,
  bearer,
  clerkIn,
  enrol,
  presentation,
  residentIdNumber,
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

const read = (id: string, token = clerk.token) =>
  t.app.inject({ method: 'GET', url: `/v1/verifications/${id}`, headers: bearer(token) });

/** A department system of `department` holding `scopes`, with its client-credentials token. */
async function clientOf(department: string, scopes: string[]): Promise<string> {
  const clientId = `sys-${randomUUID().slice(0, 8)}`;
  const created = await t.app.inject({
    method: 'POST',
    url: '/v1/clients',
    headers: bearer(admin),
    payload: { clientId, name: 'Counter system', department, scopes },
  });
  expect(created.statusCode).toBe(201);
  const token = await t.app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: created.json().clientSecret,
    }).toString(),
  });
  expect(token.statusCode).toBe(200);
  return token.json().access_token;
}

describe('GET /v1/verifications/{id}', () => {
  it('returns a presentation verification to the department that made it, without personal data', async () => {
    const r = await residentWithDevice(t, clerk.token);
    const verified = await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token));
    expect(verified.statusCode).toBe(200);
    const { verificationId, verifiedAt, subjectId } = verified.json();

    const res = await read(verificationId);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({
      id: verificationId,
      method: 'presentation',
      subjectId,
      verifierDepartment: clerk.department,
      verifiedAt,
    });
    expect(res.body).not.toContain('张三');

    // A counter system of the same department reads it too, with presentations:verify.
    const system = await clientOf(clerk.department, ['presentations:verify']);
    expect((await read(verificationId, system)).json()).toEqual(res.json());
  });

  it('returns an in-person verification with method in_person', async () => {
    const idNumber = residentIdNumber();
    const enrolled = await enrol(t.app, clerk.token, {
      idDocument: { type: 'resident_id_card', number: idNumber },
    });
    const made = await t.app.inject({
      method: 'POST',
      url: '/v1/verifications/in-person',
      headers: bearer(clerk.token),
      payload: { idDocumentType: 'resident_id_card', idNumber, counter: '窗口 1' },
    });
    expect(made.statusCode).toBe(201);

    const res = await read(made.json().verificationId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: made.json().verificationId,
      method: 'in_person',
      subjectId: enrolled.json().subjectId,
      verifierDepartment: clerk.department,
      verifiedAt: made.json().verifiedAt,
    });
    expect(res.body).not.toContain(idNumber.slice(6));
  });

  it('answers another department’s verification exactly as an unknown id: 404 not_found', async () => {
    const r = await residentWithDevice(t, clerk.token);
    const verified = await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token));
    const other = await clerkIn(t.app, admin);
    const theirs = await read(verified.json().verificationId, other.token);
    const unknown = await read(randomUUID(), other.token);
    for (const res of [theirs, unknown]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const strip = (body: Record<string, unknown>) => {
      const { instance: _instance, requestId: _requestId, ...rest } = body;
      return rest;
    };
    expect(strip(theirs.json())).toEqual(strip(unknown.json()));
    expect(theirs.json()).toMatchObject({ code: 'not_found' });
    expect(theirs.body).not.toContain(r.enrolled.subjectId);
  });

  it('answers an unknown id with 404 not_found', async () => {
    const res = await read(randomUUID());
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not_found' });
  });

  it('refuses a malformed id with 400 validation_failed', async () => {
    const res = await read('not-a-verification-id');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('refuses a resident’s token with 403 forbidden', async () => {
    const r = await residentWithDevice(t, clerk.token);
    const verified = await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token));
    const res = await asResident(
      t.app,
      r,
      'GET',
      `/v1/verifications/${verified.json().verificationId}`,
    );
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'forbidden' });
  });

  it('refuses staff and clients of the same department without presentations:verify with 403', async () => {
    const r = await residentWithDevice(t, clerk.token);
    const verified = await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token));
    const officer = await clerkIn(t.app, admin, {
      department: clerk.department,
      roles: ['case_officer'],
    });
    const reader = await clientOf(clerk.department, ['cases:read']);
    for (const token of [officer.token, reader]) {
      const res = await read(verified.json().verificationId, token);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'forbidden' });
    }
  });

  it('refuses a request without a token with 401', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/verifications/${randomUUID()}` });
    expect(res.statusCode).toBe(401);
  });
});
