import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, bearer, clerkIn, enrol } from './helpers/flow.js';

let t: TestApp;
let admin: string;
let publicSecurity: { clerk: string; admin: string; department: string };
let fireSafety: { clerk: string; admin: string; department: string };

async function department(code: string) {
  const clerk = await clerkIn(t.app, admin, { department: code });
  const departmentAdmin = await clerkIn(t.app, admin, {
    department: code,
    roles: ['department_admin'],
  });
  return { clerk: clerk.token, admin: departmentAdmin.token, department: code };
}

beforeAll(async () => {
  t = await startTestApp();
  admin = await adminToken(t.app);
  publicSecurity = await department('public_security_test');
  fireSafety = await department('fire_safety_test');
});
afterAll(() => t.close());

const act = (token: string, id: string, action: string) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/credentials/${id}/${action}`,
    headers: bearer(token),
    payload: { reason: 'authorization test' },
  });
const read = (token: string, id: string) =>
  t.app.inject({ method: 'GET', url: `/v1/credentials/${id}`, headers: bearer(token) });

describe('credential status changes belong to the enrolling department', () => {
  it("refuses another department's administrator", async () => {
    const id = (await enrol(t.app, publicSecurity.clerk)).json().credential.id;
    for (const action of ['suspend', 'revoke']) {
      const res = await act(fireSafety.admin, id, action);
      expect(res.statusCode, action).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    expect((await read(publicSecurity.admin, id)).json()).toMatchObject({
      status: 'valid',
      version: 1,
    });
  });

  it("lets the enrolling department's administrator and a system administrator act", async () => {
    const id = (await enrol(t.app, publicSecurity.clerk)).json().credential.id;
    expect((await act(publicSecurity.admin, id, 'suspend')).statusCode).toBe(200);
    expect((await act(admin, id, 'reinstate')).statusCode).toBe(200);
  });
});

describe('GET /v1/credentials/{id}', () => {
  it('is read by counter clerks and administrators of the enrolling department, and system administrators', async () => {
    const id = (await enrol(t.app, publicSecurity.clerk)).json().credential.id;
    expect((await read(publicSecurity.clerk, id)).statusCode).toBe(200);
    expect((await read(publicSecurity.admin, id)).statusCode).toBe(200);
    expect((await read(admin, id)).statusCode).toBe(200);
  });

  it('is refused to staff without a need: other roles, other departments', async () => {
    const id = (await enrol(t.app, publicSecurity.clerk)).json().credential.id;
    for (const roles of [['auditor'], ['case_officer']]) {
      const staff = await clerkIn(t.app, admin, { department: publicSecurity.department, roles });
      const res = await read(staff.token, id);
      expect(res.statusCode, roles[0]).toBe(403);
    }
    expect((await read(fireSafety.clerk, id)).statusCode).toBe(403);
    expect((await read(fireSafety.admin, id)).statusCode).toBe(403);
  });
});

describe('GET /v1/status-lists/{id}', () => {
  it('serves list 0 under its one spelling', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/status-lists/0' })).statusCode).toBe(200);
  });

  it.each(['0x0', '00', '+0', '0.0', '0e0', '-0'])(
    'refuses /v1/status-lists/%s with 400 validation_failed (path parameters parsed strictly)',
    async (id) => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/status-lists/${id}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    },
  );

  it.each(['0x10', '010', '+10', '10.0'])('refuses ?limit=%s on a list', async (limit) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/departments?limit=${encodeURIComponent(limit)}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });
});
