import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CaseBody,
  type CaseWorld,
  RESTAURANT_FORM,
  type Resident,
  startCaseWorld,
} from './helpers/case-world.js';

describe('GET /v1/stats/sla', () => {
  let world: CaseWorld;
  beforeAll(async () => {
    world = await startCaseWorld();
    await playWeek();
  });
  afterAll(() => world?.close());

  const MR = 'market_regulation';
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const stats = async (query: string, headers: Record<string, string>) =>
    world.app.app.inject({ method: 'GET', url: `/v1/stats/sla${query}`, headers });

  const licenceOf = (c: CaseBody) =>
    c.tasks.find((t) => t.step === 'business_licence')?.id as string;
  const decide = async (c: CaseBody, decision: string) => {
    const now = await world.read(c.id, await world.officer(MR));
    const res = await world.decide(
      c.id,
      licenceOf(c),
      MR,
      { decision, reason: '审核意见' },
      now.etag,
    );
    expect(res.statusCode, res.body).toBe(200);
  };
  const answer = async (resident: Resident, c: CaseBody) => {
    const fresh = await world.resident(resident.subject);
    const url = `/v1/cases/${c.id}/information`;
    const res = await world.app.app.inject({
      method: 'POST',
      url,
      headers: await fresh.headersFor('POST', url),
      payload: { message: '已补充租赁合同' },
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  /**
   * Five restaurant cases opened Monday 2 March 2026, 09:00 in Shanghai. Market regulation's
   * business-licence step (3 working days: due 24:00 Thursday 5 March = 16:00Z) goes:
   * A approved after 40 h; B asked for information after 24 h, answered 24 h later, approved
   * 60 h after opening (36 h of handling); C rejected Friday, after its deadline (96 h); D still
   * open and late; E waiting on its resident since before its deadline (not late).
   */
  async function playWeek() {
    world.clock.set('2026-03-02T01:00:00Z');
    const residents = await Promise.all([1, 2, 3, 4, 5].map(() => world.resident()));
    const [a, b, c, d, e] = await Promise.all(
      residents.map((r) => world.submit(r, 'open_restaurant', RESTAURANT_FORM)),
    );
    if (!a || !b || !c || !d || !e) throw new Error('five cases expected');
    world.clock.set('2026-03-02T03:00:00Z');
    await decide(e, 'request_information');
    world.clock.set('2026-03-03T01:00:00Z');
    await decide(b, 'request_information');
    world.clock.set('2026-03-03T17:00:00Z'); // Wednesday 4 March, 01:00 in Shanghai
    await decide(a, 'approve');
    world.clock.set('2026-03-04T01:00:00Z');
    await answer(residents[1] as Resident, b);
    world.clock.set('2026-03-04T13:00:00Z'); // Wednesday 21:00
    await decide(b, 'approve');
    world.clock.set('2026-03-06T01:00:00Z'); // Friday 09:00, past Thursday's deadline
    await decide(c, 'reject');
  }

  it("gives a department's decisions and open work, in SQL over its tasks", async () => {
    const res = await stats('', await world.officer(MR));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      department: MR,
      from: null,
      to: null,
      asOf: '2026-03-06T01:00:00.000Z',
      // A and B on time, C late; handling 40, 36 and 96 hours (B less its 24 hours' wait).
      decided: { count: 3, onTime: 2, onTimeRate: 0.6667, medianHandlingHours: 40 },
      // A's, B's and D's food permits, D's licence (late) and E's food permit, whose clock is
      // stopped while E's licence waits on the resident; C's were cancelled with the case.
      open: { count: 5, overdue: 1, awaitingInformation: 1 },
    });
  });

  it('counts the decisions of the city days from and to, both included', async () => {
    const officer = await world.officer(MR);
    const body = async (query: string) => {
      const res = await stats(query, officer);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    // A was approved at 17:00Z on 3 March: already 4 March in Shanghai.
    expect((await body('?to=2026-03-03')).decided).toEqual({
      count: 0,
      onTime: 0,
      onTimeRate: null,
      medianHandlingHours: null,
    });
    expect(await body('?from=2026-03-04&to=2026-03-04')).toMatchObject({
      from: '2026-03-04',
      to: '2026-03-04',
      decided: { count: 2, onTime: 2, onTimeRate: 1, medianHandlingHours: 38 },
      open: { count: 5, overdue: 1, awaitingInformation: 1 },
    });
    expect((await body('?from=2026-03-05')).decided).toEqual({
      count: 1,
      onTime: 0,
      onTimeRate: 0,
      medianHandlingHours: 96,
    });
  });

  it("keeps each department's figures to its own tasks", async () => {
    const res = await stats('', await world.officer('fire_safety'));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      department: 'fire_safety',
      decided: { count: 0, onTime: 0, onTimeRate: null, medianHandlingHours: null },
      open: { count: 4, overdue: 0, awaitingInformation: 0 },
    });
  });

  it("answers the department's administrator and its systems", async () => {
    const admin = bearer(
      await world.issuer.staff(MR, ['department_admin'], 'admin-mr', 'staff:manage cases:read'),
    );
    const system = bearer(await world.issuer.client(MR, 'mr-system', 'cases:read'));
    for (const headers of [admin, system]) {
      const res = await stats(`?department=${MR}`, headers);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().decided.count).toBe(3);
    }
  });

  it("refuses another department's figures, callers without cases:read and residents", async () => {
    const other = await stats('?department=fire_safety', await world.officer(MR));
    expect(other.statusCode).toBe(403);
    expect(other.json().code).toBe('forbidden');
    const keysAdmin = bearer(
      await world.issuer.staff(MR, ['system_admin'], 'root', 'keys:manage departments:manage'),
    );
    expect((await stats('', keysAdmin)).statusCode).toBe(403);
    const resident = await world.resident();
    const asResident = await stats('', await resident.headersFor('GET', '/v1/stats/sla'));
    expect(asResident.statusCode).toBe(403);
    expect((await stats('', {})).statusCode).toBe(401);
  });

  it('refuses a range that is not one', async () => {
    const officer = await world.officer(MR);
    for (const query of [
      '?from=2026-02-30',
      '?to=2026-3-1',
      '?from=2026-03-05&to=2026-03-04',
      '?department=Market',
      '?since=2026-03-01',
    ]) {
      const res = await stats(query, officer);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(400);
      expect(res.json().code).toBe('validation_failed');
    }
  });
});
