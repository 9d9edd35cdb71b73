import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './helpers/app.js';
import { SoftwareAuthenticator } from './helpers/authenticator.js';
import { adminToken, bearer } from './helpers/flow.js';

const RP_ID = 'localhost';
const ORIGIN = 'http://localhost:3000';

describe('staff passkeys (WebAuthn)', () => {
  let t: TestApp;
  let admin: string;
  beforeAll(async () => {
    t = await startTestApp();
    admin = await adminToken(t.app);
  });
  afterAll(() => t.close());

  let seq = 0;
  /** A staff member in a department of their own unless one is named; returns their password too. */
  async function staffIn({
    department = `pk_${++seq}_${randomBytes(3).toString('hex')}`,
    roles = ['counter_clerk'],
  }: {
    department?: string;
    roles?: string[];
  } = {}) {
    await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: bearer(admin),
      payload: { code: department, name: { zh: '测试部门', en: 'Test department' } },
    });
    const username = `staff-${++seq}-${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/staff',
      headers: bearer(admin),
      payload: { username, displayName: 'Staff member', department, roles, password },
    });
    if (created.statusCode !== 201) throw new Error(`create staff: ${created.body}`);
    const res = await passwordLogin(username, password);
    if (res.statusCode !== 200) throw new Error(`login: ${res.body}`);
    return { username, password, department, token: res.json().accessToken as string };
  }

  const passwordLogin = (username: string, password: string) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { username, password } });

  async function registrationOptions(token: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/passkeys/registration/options',
      headers: bearer(token),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  const finishRegistration = (token: string, response: unknown, label?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/passkeys/registration',
      headers: bearer(token),
      payload: { response, ...(label === undefined ? {} : { label }) },
    });

  /** A staff member with a registered software passkey. */
  async function staffWithPasskey(options: Parameters<typeof staffIn>[0] = {}) {
    const member = await staffIn(options);
    const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
    const res = await finishRegistration(
      member.token,
      authenticator.register(await registrationOptions(member.token)),
      'Office laptop',
    );
    expect(res.statusCode, res.body).toBe(201);
    return { ...member, authenticator, passkey: res.json() };
  }

  async function loginOptions() {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/passkeys/login/options' });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  const passkeyLogin = (response: unknown) =>
    t.app.inject({ method: 'POST', url: '/v1/auth/passkeys/login', payload: { response } });

  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await t.database.db.execute(query)) as unknown as { rows: T[] }).rows;
  const eventsOf = (id: string) =>
    rows<{ type: string; data: Record<string, unknown> }>(
      sql`select type, data from identity.events where aggregate_id = ${id} order by occurred_at, id`,
    );

  describe('registration and sign-in', () => {
    it('registers a passkey and signs in with it, getting the same token as a password sign-in', async () => {
      const { username, department, authenticator, passkey } = await staffWithPasskey();
      expect(passkey).toMatchObject({
        label: 'Office laptop',
        credentialId: authenticator.id,
        transports: ['internal'],
        lastUsedAt: null,
      });

      const options = await loginOptions();
      expect(options).toMatchObject({ rpId: RP_ID, userVerification: 'required' });
      const res = await passkeyLogin(authenticator.assert(options));
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        tokenType: 'Bearer',
        expiresIn: 900,
        staff: { username, department, roles: ['counter_clerk'] },
      });

      const mine = await t.app.inject({
        method: 'GET',
        url: '/v1/me/passkeys',
        headers: bearer(body.accessToken),
      });
      expect(mine.statusCode).toBe(200);
      expect(mine.json().items).toHaveLength(1);
      expect(mine.json().items[0].lastUsedAt).toBe(t.clock().toISOString());
      expect(mine.json().items[0]).not.toHaveProperty('publicKey');

      const [stored] = await rows<{ sign_count: string }>(
        sql`select sign_count from identity.staff_passkeys where id = ${passkey.id}`,
      );
      expect(Number(stored?.sign_count)).toBe(1);
      const events = await eventsOf(passkey.id);
      // Same clock instant: the order of the two events is not the point, their presence is.
      expect(events.map((e) => e.type).sort()).toEqual(['passkey.registered', 'passkey.used']);
      expect(JSON.stringify(events)).not.toContain(username);
    });

    it('excludes already registered credentials and refuses registering one twice', async () => {
      const { token, authenticator } = await staffWithPasskey();
      const options = await registrationOptions(token);
      expect(options.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([
        authenticator.id,
      ]);
      expect(options.authenticatorSelection).toMatchObject({
        residentKey: 'required',
        userVerification: 'required',
      });
      const again = await finishRegistration(token, authenticator.register(options));
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('passkey_already_registered');
    });

    it("refuses to finish another staff member's registration ceremony", async () => {
      const alice = await staffIn();
      const bob = await staffIn();
      const options = await registrationOptions(alice.token);
      const res = await finishRegistration(
        bob.token,
        new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN }).register(options),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('passkey_challenge_invalid');
    });

    it('refuses a registration made on another origin or for another RP id', async () => {
      const { token } = await staffIn();
      const authenticator = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      for (const overrides of [{ origin: 'https://phish.example' }, { rpId: 'phish.example' }]) {
        const res = await finishRegistration(
          token,
          authenticator.register(await registrationOptions(token), overrides),
        );
        expect(res.statusCode).toBe(400);
        expect(res.json().code).toBe('passkey_registration_failed');
      }
    });

    it('removes a passkey of its owner only, after which it no longer signs in', async () => {
      const { token, authenticator, passkey } = await staffWithPasskey();
      const other = await staffIn();
      const foreign = await t.app.inject({
        method: 'DELETE',
        url: `/v1/me/passkeys/${passkey.id}`,
        headers: bearer(other.token),
      });
      expect(foreign.statusCode).toBe(404);
      const removed = await t.app.inject({
        method: 'DELETE',
        url: `/v1/me/passkeys/${passkey.id}`,
        headers: bearer(token),
      });
      expect(removed.statusCode).toBe(204);
      expect((await eventsOf(passkey.id)).map((e) => e.type).sort()).toEqual([
        'passkey.registered',
        'passkey.removed',
      ]);
      const res = await passkeyLogin(authenticator.assert(await loginOptions()));
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('passkey_authentication_failed');
    });
  });

  describe('POST /v1/auth/passkeys/login refusals', () => {
    it('refuses an assertion whose sign counter does not increase (clone detection)', async () => {
      const { authenticator, passkey } = await staffWithPasskey();
      expect((await passkeyLogin(authenticator.assert(await loginOptions()))).statusCode).toBe(200);
      expect((await passkeyLogin(authenticator.assert(await loginOptions()))).statusCode).toBe(200);
      // The counter now stands at 2; a copy of the key that reports 2 or less is a clone.
      for (const counter of [2, 1]) {
        const res = await passkeyLogin(authenticator.assert(await loginOptions(), { counter }));
        expect(res.statusCode).toBe(403);
        expect(res.json().code).toBe('passkey_clone_detected');
      }
      const clones = (await eventsOf(passkey.id)).filter(
        (e) => e.type === 'passkey.clone_detected',
      );
      expect(clones.map((e) => e.data)).toHaveLength(2);
      expect(clones.map((e) => e.data)).toEqual(
        expect.arrayContaining([
          { passkeyId: passkey.id, storedCounter: 2, presentedCounter: 2 },
          { passkeyId: passkey.id, storedCounter: 2, presentedCounter: 1 },
        ]),
      );
      // The counter did not move: the genuine authenticator goes on.
      expect((await passkeyLogin(authenticator.assert(await loginOptions()))).statusCode).toBe(200);
    });

    it('lets only one of two assertions with the same counter through, when they race', async () => {
      const { authenticator } = await staffWithPasskey();
      const [first, second] = await Promise.all([loginOptions(), loginOptions()]);
      const counter = authenticator.counter + 1;
      const answers = await Promise.all([
        passkeyLogin(authenticator.assert(first, { counter })),
        passkeyLogin(authenticator.assert(second, { counter })),
      ]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 403]);
      expect(answers.find((r) => r.statusCode === 403)?.json().code).toBe('passkey_clone_detected');
    });

    it('refuses an assertion made on another origin', async () => {
      const { authenticator } = await staffWithPasskey();
      const res = await passkeyLogin(
        authenticator.assert(await loginOptions(), { origin: 'https://portal.phish.example' }),
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('passkey_authentication_failed');
      expect(res.json().detail).toMatch(/origin/);
    });

    it('refuses an assertion made for another RP id', async () => {
      const { authenticator } = await staffWithPasskey();
      const res = await passkeyLogin(
        authenticator.assert(await loginOptions(), { rpId: 'phish.example' }),
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('passkey_authentication_failed');
      expect(res.json().detail).toMatch(/RP ID/i);
    });

    it('refuses a reused challenge (a replayed assertion)', async () => {
      const { authenticator } = await staffWithPasskey();
      const assertion = authenticator.assert(await loginOptions());
      expect((await passkeyLogin(assertion)).statusCode).toBe(200);
      const replay = await passkeyLogin(assertion);
      expect(replay.statusCode).toBe(400);
      expect(replay.json().code).toBe('passkey_challenge_invalid');
    });

    it('refuses an expired challenge, and one never issued', async () => {
      const { authenticator } = await staffWithPasskey();
      const options = await loginOptions();
      t.clock.advance(5 * 60_000 + 1000);
      try {
        const late = await passkeyLogin(authenticator.assert(options));
        expect(late.statusCode).toBe(400);
        expect(late.json().code).toBe('passkey_challenge_invalid');
        expect(late.json().detail).toMatch(/expired/);
      } finally {
        t.clock.advance(-(5 * 60_000 + 1000));
      }
      const made = await passkeyLogin(
        authenticator.assert(options, { challenge: randomBytes(32).toString('base64url') }),
      );
      expect(made.statusCode).toBe(400);
      expect(made.json().code).toBe('passkey_challenge_invalid');
    });

    it('refuses a registration challenge used to sign in', async () => {
      const { token, authenticator } = await staffWithPasskey();
      const options = await registrationOptions(token);
      const res = await passkeyLogin(authenticator.assert(options));
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('passkey_challenge_invalid');
    });

    it('refuses a passkey nobody registered', async () => {
      const stranger = new SoftwareAuthenticator({ rpId: RP_ID, origin: ORIGIN });
      const res = await passkeyLogin(stranger.assert(await loginOptions()));
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('passkey_authentication_failed');
    });
  });

  describe('PUT /v1/departments/{code}/security', () => {
    const setPolicy = (token: string, department: string, requirePasskey: boolean) =>
      t.app.inject({
        method: 'PUT',
        url: `/v1/departments/${department}/security`,
        headers: bearer(token),
        payload: { requirePasskey },
      });

    it("refuses the password sign-in of a department's clerk once passkeys are required, but not the bootstrap admin's", async () => {
      const clerk = await staffWithPasskey();
      const departmentAdmin = await staffIn({
        department: clerk.department,
        roles: ['department_admin'],
      });
      const set = await setPolicy(departmentAdmin.token, clerk.department, true);
      expect(set.statusCode, set.body).toBe(200);
      expect(set.json()).toMatchObject({ department: clerk.department, requirePasskey: true });

      const refused = await passwordLogin(clerk.username, clerk.password);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe('passkey_required');
      // A wrong password still answers as a wrong password: the policy tells a guesser nothing.
      expect((await passwordLogin(clerk.username, 'not-the-password')).json().code).toBe(
        'unauthorized',
      );
      const byPasskey = await passkeyLogin(clerk.authenticator.assert(await loginOptions()));
      expect(byPasskey.statusCode).toBe(200);

      // The bootstrap administrator's department requires passkeys too; its password still works.
      expect((await setPolicy(admin, 'administration', true)).statusCode).toBe(200);
      try {
        expect((await passwordLogin('admin', ADMIN_PASSWORD)).statusCode).toBe(200);
      } finally {
        await setPolicy(admin, 'administration', false);
      }

      const events = await eventsOf(clerk.department);
      expect(events.map((e) => e.type)).toContain('department.security_changed');
      expect(events.filter((e) => e.type === 'department.security_changed').at(-1)?.data).toEqual({
        requirePasskey: true,
        previousRequirePasskey: false,
      });

      expect((await setPolicy(departmentAdmin.token, clerk.department, false)).json().version).toBe(
        2,
      );
      expect((await passwordLogin(clerk.username, clerk.password)).statusCode).toBe(200);
    });

    it("refuses another department's administrator and a clerk (403)", async () => {
      const clerk = await staffIn();
      const otherAdmin = await staffIn({ roles: ['department_admin'] });
      const foreign = await setPolicy(otherAdmin.token, clerk.department, true);
      expect(foreign.statusCode).toBe(403);
      expect(foreign.json().code).toBe('forbidden');
      const read = await t.app.inject({
        method: 'GET',
        url: `/v1/departments/${clerk.department}/security`,
        headers: bearer(otherAdmin.token),
      });
      expect(read.statusCode).toBe(403);
      expect((await setPolicy(clerk.token, clerk.department, true)).statusCode).toBe(403);
      expect((await passwordLogin(clerk.username, clerk.password)).statusCode).toBe(200);
    });

    it('lets a system administrator set any department and reads the policy back', async () => {
      const clerk = await staffIn();
      expect((await setPolicy(admin, clerk.department, true)).statusCode).toBe(200);
      const read = await t.app.inject({
        method: 'GET',
        url: `/v1/departments/${clerk.department}/security`,
        headers: bearer(admin),
      });
      expect(read.json()).toMatchObject({ requirePasskey: true, version: 1 });
      expect((await setPolicy(admin, 'no_such_department', true)).statusCode).toBe(404);
    });
  });
});
