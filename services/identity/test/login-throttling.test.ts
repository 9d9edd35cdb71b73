import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestApp, type TestApp, testClock } from './helpers/app.js';
import { adminToken, bearer } from './helpers/flow.js';

const ADMIN_ADDRESS = '10.20.0.1';

// Hundreds of slow password hashes: bounded generously so a loaded machine does not fail the file.
describe('POST /v1/auth/login throttling', { timeout: 300_000 }, () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { clock: testClock(new Date('2026-11-26T09:00:00Z')) });
    // The administrator's own desk: a previously successful address.
    const first = await attempt('admin', ADMIN_PASSWORD, ADMIN_ADDRESS);
    expect(first.statusCode).toBe(200);
    adminId = first.json().staff.id;
    admin = await adminToken(t.app);
  });
  afterAll(() => t.close());

  const attempt = (username: string, password: string, ip: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username, password },
      remoteAddress: ip,
    });

  /** Signs in, waiting by the test clock whenever told to retry; answers the seconds waited. */
  async function signInWaiting(username: string, password: string, ip: string) {
    let waited = 0;
    for (let i = 0; i < 10; i++) {
      const res = await attempt(username, password, ip);
      if (res.statusCode === 200) return waited;
      expect(res.statusCode).toBe(429);
      const retry = Number(res.headers['retry-after']);
      waited += retry;
      t.clock.advance(retry * 1000);
    }
    throw new Error('never signed in');
  }

  async function member(department: string, roles: string[]) {
    const username = `m-${randomBytes(4).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/staff',
      headers: bearer(admin),
      payload: { username, displayName: 'Member', department, roles, password },
    });
    expect(created.statusCode).toBe(201);
    return { id: created.json().id as string, username, password };
  }

  async function department() {
    const code = `d_${randomBytes(4).toString('hex')}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/departments',
      headers: bearer(admin),
      payload: { code, name: { zh: '部门', en: 'Department' } },
    });
    expect(res.statusCode).toBe(201);
    return code;
  }

  async function throttleLog(code: string, token: string, query = '') {
    return t.app.inject({
      method: 'GET',
      url: `/v1/departments/${code}/login-throttling${query}`,
      headers: bearer(token),
    });
  }

  it('lets admin in at once from their own address after a stranger failed 50 times elsewhere (defect 6)', async () => {
    for (let i = 0; i < 50; i++) {
      const res = await attempt('admin', 'a-guess', `203.0.113.${i % 5}`);
      // The stranger's own addresses slow down; the account does not lock.
      expect([401, 429]).toContain(res.statusCode);
      if (res.statusCode === 429) t.clock.advance(Number(res.headers['retry-after']) * 1000);
    }
    const own = await attempt('admin', ADMIN_PASSWORD, ADMIN_ADDRESS);
    expect(own.statusCode).toBe(200);
    // Each delay of the stranger is in the administration department's log.
    const log = await throttleLog('administration', admin, '?limit=100');
    const delayed = log
      .json()
      .items.filter((e: { decision: string }) => e.decision === 'pair_delayed');
    expect(delayed.length).toBeGreaterThan(0);
    expect(delayed[0]).toMatchObject({ staffId: adminId, department: 'administration' });
  });

  it('keeps admin out of a fresh address for a few seconds at most (defect 6)', async () => {
    for (let i = 0; i < 50; i++) await attempt('admin', 'a-guess', `198.51.100.${i}`);
    const waited = await signInWaiting('admin', ADMIN_PASSWORD, '192.0.2.44');
    expect(waited).toBeLessThanOrEqual(5);
  });

  it("slows one address's guesses at one account exponentially, up to a cap", async () => {
    const code = await department();
    const clerk = await member(code, ['counter_clerk']);
    const ip = '198.18.0.7';
    const retries: number[] = [];
    for (let i = 0; i < 14; i++) {
      const res = await attempt(clerk.username, 'a-guess', ip);
      if (res.statusCode === 429) {
        expect(res.json().code).toBe('rate_limited');
        const retry = Number(res.headers['retry-after']);
        retries.push(retry);
        t.clock.advance(retry * 1000);
      } else {
        expect(res.statusCode).toBe(401);
      }
    }
    expect(retries.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(Math.max(...retries)).toBeLessThanOrEqual(300);
    // The clerk at another address is not held up by it.
    expect((await attempt(clerk.username, clerk.password, '198.18.0.8')).statusCode).toBe(200);
  });

  it('limits an address across accounts, but spares a member who signed in there before', async () => {
    const code = await department();
    const clerk = await member(code, ['counter_clerk']);
    const office = '198.19.0.1';
    expect((await attempt(clerk.username, clerk.password, office)).statusCode).toBe(200);
    for (let i = 0; i < 50; i++)
      expect((await attempt(`nobody-${i}`, 'a-guess', office)).statusCode).toBe(401);
    const limited = await attempt('nobody-else', 'a-guess', office);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
    expect((await attempt(clerk.username, clerk.password, office)).statusCode).toBe(200);
    const log = await throttleLog(code, admin);
    expect(log.json().items.map((e: { decision: string }) => e.decision)).toContain(
      'known_address_spared',
    );
  });

  it('blocks an account everywhere after 100 consecutive failures until an administrator unlocks it, and logs each decision for the right administrators (defect 6)', async () => {
    const code = await department();
    const clerk = await member(code, ['counter_clerk']);
    const deptAdmin = await member(code, ['department_admin']);
    let deptAdminToken = (await attempt(deptAdmin.username, deptAdmin.password, '10.30.0.1')).json()
      .accessToken as string;
    const home = '10.30.0.2';
    expect((await attempt(clerk.username, clerk.password, home)).statusCode).toBe(200);

    // Concurrent guesses from 120 addresses: the cap is charged atomically, so exactly 100 are checked.
    const guesses = await Promise.all(
      Array.from({ length: 120 }, (_, i) => attempt(clerk.username, 'a-guess', `100.64.0.${i}`)),
    );
    const statuses = guesses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(100);
    expect(statuses.filter((s) => s === 423)).toHaveLength(20);
    for (const ip of [home, '100.65.0.1']) {
      const res = await attempt(clerk.username, clerk.password, ip);
      expect(res.statusCode).toBe(423);
      expect(res.json().code).toBe('account_locked');
    }
    t.clock.advance(30 * 24 * 3600_000);
    expect((await attempt(clerk.username, clerk.password, home)).statusCode).toBe(423);
    // A month on, the administrators sign in afresh.
    admin = await adminToken(t.app);
    deptAdminToken = (await attempt(deptAdmin.username, deptAdmin.password, '10.30.0.1')).json()
      .accessToken as string;

    const otherDept = await department();
    const otherAdmin = await member(otherDept, ['department_admin']);
    const otherToken = (await attempt(otherAdmin.username, otherAdmin.password, '10.31.0.1')).json()
      .accessToken as string;
    const foreign = await t.app.inject({
      method: 'POST',
      url: `/v1/staff/${clerk.id}/unlock`,
      headers: bearer(otherToken),
    });
    expect(foreign.statusCode).toBe(404);
    const unlocked = await t.app.inject({
      method: 'POST',
      url: `/v1/staff/${clerk.id}/unlock`,
      headers: bearer(deptAdminToken),
    });
    expect(unlocked.statusCode).toBe(200);
    expect(unlocked.json()).toEqual({ staffId: clerk.id, unlocked: true });
    expect((await attempt(clerk.username, clerk.password, home)).statusCode).toBe(200);

    const seen: {
      decision: string;
      staffId: string;
      address: string | null;
      actorId: string | null;
    }[] = [];
    let cursor: string | null = null;
    do {
      const res = await throttleLog(
        code,
        deptAdminToken,
        `?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items);
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(seen.every((e) => e.staffId === clerk.id)).toBe(true);
    expect(seen[0]).toMatchObject({
      decision: 'account_unlocked',
      actorId: deptAdmin.id,
      address: null,
    });
    expect(seen[1]).toMatchObject({ decision: 'account_refused', address: home });
    expect(seen.filter((e) => e.decision === 'account_refused')).toHaveLength(23);
    expect(seen.filter((e) => e.decision === 'account_locked')).toHaveLength(1);

    expect((await throttleLog(code, admin, '?limit=100')).json().items).toHaveLength(25);
    const forbidden = await throttleLog(code, otherToken);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBe('forbidden');
  });
});
