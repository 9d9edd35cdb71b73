import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import {
  activate,
  adminToken,
  bearer,
  clerkIn,
  Device,
  enrol,
  login,
  presentation,
  residentIdNumber,
  residentWithDevice,
  verify,
} from './helpers/flow.js';

describe('POST /v1/auth/login', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const attempt = (username: string, password: string, ip = '10.1.2.3') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username, password },
      remoteAddress: ip,
    });

  it('issues an RFC 9068 access token with department, roles and scopes', async () => {
    const token = await adminToken(t.app);
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      iss: 'tb',
      aud: 'tongban',
      kind: 'staff',
      department: 'administration',
      roles: ['system_admin'],
    });
    expect(payload.exp - payload.iat).toBe(900);
    expect(payload.scope).toContain('keys:manage');
  });

  it('answers a wrong password and an unknown user identically', async () => {
    const wrong = await attempt('admin', 'not-the-password', '10.9.9.1');
    const unknown = await attempt('nobody-here', 'whatever', '10.9.9.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().detail).toBe(unknown.json().detail);
    expect(wrong.json().code).toBe('unauthorized');
  });
});

describe('POST /v1/auth/token (client credentials)', () => {
  let t: TestApp;
  let admin: string;
  let secret: string;
  let clientId: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
    const dept = await clerkIn(t.app, admin);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/clients',
      headers: bearer(admin),
      payload: {
        clientId: 'counter-kiosk',
        name: 'Counter kiosk',
        department: dept.department,
        scopes: ['presentations:verify', 'records:read'],
      },
    });
    expect(created.statusCode).toBe(201);
    ({ clientSecret: secret, clientId } = created.json());
  });
  afterAll(() => t.close());

  const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(body).toString(),
    });

  it('grants a token with HTTP Basic, and with the secret in the form', async () => {
    const basic = Buffer.from(`${clientId}:${secret}`).toString('base64');
    const a = await form(
      { grant_type: 'client_credentials', scope: 'presentations:verify' },
      { authorization: `Basic ${basic}` },
    );
    expect(a.statusCode).toBe(200);
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.json()).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'presentations:verify',
    });
    const b = await form({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    });
    expect(b.json().scope).toBe('presentations:verify records:read');
  });

  it('refuses a wrong secret with invalid_client, a scope not granted with invalid_scope, another grant with unsupported_grant_type', async () => {
    const wrong = await form({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: 'x'.repeat(43),
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
    const scope = await form({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: 'keys:manage',
    });
    expect(scope.statusCode).toBe(400);
    expect(scope.json().code).toBe('invalid_scope');
    const grant = await form({
      grant_type: 'password',
      client_id: clientId,
      client_secret: secret,
    });
    expect(grant.json().code).toBe('unsupported_grant_type');
  });

  it('lets a client with presentations:verify verify, and refuses one without it with 403', async () => {
    const verifier = (
      await form({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'presentations:verify',
      })
    ).json().access_token;
    const reader = (
      await form({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
        scope: 'records:read',
      })
    ).json().access_token;
    const clerk = (await clerkIn(t.app, admin)).token;
    const r = await residentWithDevice(t, clerk);
    const refused = await verify(t.app, reader, await presentation(t.app, r.device, r.token));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('forbidden');
    expect(
      (await verify(t.app, verifier, await presentation(t.app, r.device, r.token))).statusCode,
    ).toBe(200);
  });
});

describe('POST /v1/residents', () => {
  let t: TestApp;
  let admin: string;
  let clerk: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
    clerk = (await clerkIn(t.app, admin)).token;
  });
  afterAll(() => t.close());

  it('refuses staff without the counter_clerk role with 403, and anonymous callers with 401', async () => {
    const officer = (await clerkIn(t.app, admin, { roles: ['case_officer'] })).token;
    const res = await enrol(t.app, officer);
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('forbidden');
    const anonymous = await t.app.inject({ method: 'POST', url: '/v1/residents', payload: {} });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses the same document twice with 409 already_enrolled, however it is spelled', async () => {
    const number = residentIdNumber();
    expect(
      (await enrol(t.app, clerk, { idDocument: { type: 'resident_id_card', number } })).statusCode,
    ).toBe(201);
    const spaced = `${number.slice(0, 6)} ${number.slice(6, 14)} ${number.slice(14).toLowerCase()}`;
    const again = await enrol(t.app, clerk, {
      idDocument: { type: 'resident_id_card', number: spaced },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('already_enrolled');
  });

  it('refuses an ID card number with a wrong check digit', async () => {
    const number = residentIdNumber();
    const broken = number.slice(0, 17) + (number[17] === '0' ? '1' : '0');
    const res = await enrol(t.app, clerk, {
      idDocument: { type: 'resident_id_card', number: broken },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('body.idDocument.number');
  });

  it('never stores the ID number in clear', async () => {
    const number = residentIdNumber();
    await enrol(t.app, clerk, { idDocument: { type: 'resident_id_card', number } });
    const { sql } = await import('drizzle-orm');
    const dump = await t.database.db.execute(
      sql`select row_to_json(r)::text as row from identity.residents r`,
    );
    const text = JSON.stringify(dump);
    expect(text).not.toContain(number);
    expect(text).not.toContain(number.slice(0, 14));
  });
});

describe('POST /v1/devices/activate', () => {
  let t: TestApp;
  let clerk: string;
  beforeAll(async () => {
    t = await startTestApp();
    clerk = (await clerkIn(t.app, await adminToken(t.app))).token;
  });
  afterAll(() => t.close());

  it('accepts a code once; a second device with the same code is refused', async () => {
    const { activation } = (await enrol(t.app, clerk)).json();
    expect((await activate(t.app, activation.code, await Device.create(t.clock))).statusCode).toBe(
      201,
    );
    const second = await activate(t.app, activation.code, await Device.create(t.clock, 'EdDSA'));
    expect(second.statusCode).toBe(400);
    expect(second.json().code).toBe('activation_code_invalid');
  });

  it('refuses a code after 24 hours', async () => {
    const { activation } = (await enrol(t.app, clerk)).json();
    t.clock.advance(24 * 3600_000 + 1000);
    try {
      const device = await Device.create(t.clock);
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/devices/activate',
        headers: {
          dpop: await device.proof('POST', '/v1/devices/activate', {
            iat: Math.floor(t.clock().getTime() / 1000),
          }),
        },
        payload: { activationCode: activation.code },
      });
      expect(res.json().code).toBe('activation_code_invalid');
    } finally {
      t.clock.advance(-(24 * 3600_000 + 1000));
    }
  });

  it('refuses activation without a proof of the device key', async () => {
    const { activation } = (await enrol(t.app, clerk)).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/devices/activate',
      payload: { activationCode: activation.code },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_dpop_proof');
  });

  it('refuses a device token for an unknown device key', async () => {
    const stranger = await Device.create(t.clock);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/device-token',
      headers: { dpop: await stranger.proof('POST', '/v1/auth/device-token') },
    });
    expect(res.statusCode).toBe(401);
  });

  it('refuses a proof made for another URL', async () => {
    const r = await residentWithDevice(t, clerk);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/device-token',
      headers: { dpop: await r.device.proof('POST', '/v1/presentations') },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid_dpop_proof');
  });
});

describe('admin endpoints', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
  });
  afterAll(() => t.close());

  it('lets a department admin create clerks in their own department only, and never admins', async () => {
    const mine = await clerkIn(t.app, admin, { roles: ['department_admin'] });
    const other = await clerkIn(t.app, admin);
    const create = (department: string, roles: string[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/staff',
        headers: bearer(mine.token),
        payload: {
          username: `u${Math.random().toString(36).slice(2, 10)}`,
          displayName: 'New',
          department,
          roles,
          password: 'long-enough-password',
        },
      });
    expect((await create(mine.department, ['counter_clerk'])).statusCode).toBe(201);
    expect((await create(other.department, ['counter_clerk'])).statusCode).toBe(403);
    expect((await create(mine.department, ['system_admin'])).statusCode).toBe(403);
  });

  it('refuses department creation to non-admins and a duplicate code with 409', async () => {
    const clerk = await clerkIn(t.app, admin);
    const body = {
      code: 'market_regulation',
      name: { zh: '市场监督管理局', en: 'Market Regulation' },
    };
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/departments',
          headers: bearer(clerk.token),
          payload: body,
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/departments',
          headers: bearer(admin),
          payload: body,
        })
      ).statusCode,
    ).toBe(201);
    const dup = await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: bearer(admin),
      payload: body,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('already_exists');
  });

  it('shows a department the attributes its policy allows', async () => {
    const clerk = await clerkIn(t.app, admin);
    await t.app.inject({
      method: 'PUT',
      url: `/v1/departments/${clerk.department}/attribute-policy`,
      headers: bearer(admin),
      payload: { attributes: ['fullName', 'phone'] },
    });
    const r = await residentWithDevice(t, clerk.token);
    const res = await verify(t.app, clerk.token, await presentation(t.app, r.device, r.token));
    expect(Object.keys(res.json().attributes).sort()).toEqual(['fullName', 'phone']);
  });

  it('logs in a newly created staff member', async () => {
    const c = await clerkIn(t.app, admin);
    expect(c.token.split('.')).toHaveLength(3);
    await expect(login(t.app, c.username, 'wrong')).rejects.toThrow(/401/);
  });
});
