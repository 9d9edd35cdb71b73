import { createCalendar, loadCalendarDirectory } from '@tongban/working-days';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../src/db/schema.js';
import {
  type CaseBody,
  type CaseWorld,
  RESTAURANT_FORM,
  type Resident,
  startCaseWorld,
} from './helpers/case-world.js';

// 24:00 in Shanghai of day D is 16:00Z of D: every deadline below reads `<D>T16:00:00.000Z`.
const endOf = (date: string) => `${date}T16:00:00.000Z`;

/** Each step's deadline and the case's, as the case response shows them. */
const deadlines = (c: CaseBody): Record<string, string | null> => ({
  case: c.dueAt,
  ...Object.fromEntries(c.tasks.map((t) => [t.step, t.dueAt])),
});

// Acceptance 5: deadlines through HTTP, on the 2026 calendar of the State Council, with the
// clock the service reads moved by hand.
describe('POST /v1/cases: deadlines in working days, in Shanghai', () => {
  let world: CaseWorld;
  beforeAll(async () => {
    world = await startCaseWorld();
  });
  afterAll(() => world?.close());

  const submitAt = async (
    at: string,
    service = 'open_restaurant',
    form: Record<string, unknown> = RESTAURANT_FORM,
  ) => {
    world.clock.set(at);
    return world.submit(await world.resident(), service, form);
  };

  it('skips the weekend', async () => {
    // Thursday 5 March, 10:00. Three working days: Friday 6, Monday 9, Tuesday 10.
    const c = await submitAt('2026-03-05T02:00:00Z');
    expect(deadlines(c)).toEqual({
      business_licence: endOf('2026-03-10'),
      // Ten: 6, 9–13, 16–19 March.
      fire_inspection: endOf('2026-03-19'),
      food_permit: endOf('2026-03-19'),
      // Waiting on the three before it: no clock yet.
      final_issuance: null,
      // The longest path, 10 + 2: 20 and 23 March.
      case: endOf('2026-03-23'),
    });
  });

  it('does not count the day of acceptance, which is a day in Shanghai whatever the hour', async () => {
    // Thursday 23:30 in Shanghai: Thursday is the day of acceptance.
    const thursday = await submitAt('2026-03-05T15:30:00Z');
    expect(deadlines(thursday).business_licence).toBe(endOf('2026-03-10'));
    // An hour later it is Friday 00:30: Friday is not counted, the limit runs Monday to Wednesday.
    const friday = await submitAt('2026-03-05T16:30:00Z');
    expect(deadlines(friday).business_licence).toBe(endOf('2026-03-11'));
    // Online on a Saturday: counting starts on Monday too.
    const saturday = await submitAt('2026-03-07T06:00:00Z');
    expect(deadlines(saturday).business_licence).toBe(endOf('2026-03-11'));
  });

  it('skips the Spring Festival and counts the make-up Saturdays around it', async () => {
    // Friday 13 February, 10:00. Saturday 14 February is a make-up working day; 15–23 are the
    // festival; Saturday 28 February is a make-up working day again.
    const c = await submitAt('2026-02-13T02:00:00Z');
    expect(deadlines(c)).toEqual({
      // 14, 24, 25 February.
      business_licence: endOf('2026-02-25'),
      // 14, 24–28 February (the 28th a Saturday), 2–5 March.
      fire_inspection: endOf('2026-03-05'),
      food_permit: endOf('2026-03-05'),
      final_issuance: null,
      // Then 6 and 9 March.
      case: endOf('2026-03-09'),
    });
  });

  it('skips National Day golden week and counts the make-up Saturday after it', async () => {
    // Tuesday 29 September, 10:00. 1–7 October are holidays; Saturday 10 October is worked.
    const c = await submitAt('2026-09-29T02:00:00Z');
    expect(deadlines(c)).toEqual({
      // 30 September, 8 and 9 October.
      business_licence: endOf('2026-10-09'),
      // 30 September, 8, 9, 10 (Saturday), 12–16, 19 October.
      fire_inspection: endOf('2026-10-19'),
      food_permit: endOf('2026-10-19'),
      final_issuance: null,
      // Then 20 and 21 October.
      case: endOf('2026-10-21'),
    });
  });

  it('counts a make-up working Sunday', async () => {
    // Friday 18 September, 10:00; one working day. Sunday 20 September is worked before National Day.
    const partner = await world.resident();
    const c = await submitAt('2026-09-18T02:00:00Z', 'marriage_registration', {
      partnerSubject: partner.subject,
      appointmentDate: '2026-09-21',
    });
    expect(deadlines(c)).toEqual({ register: endOf('2026-09-20'), case: endOf('2026-09-20') });
  });
});

describe('POST /v1/cases/{id}/information: the clock stops while the case waits on the resident', () => {
  let world: CaseWorld;
  const calendar = createCalendar({ years: loadCalendarDirectory() });
  beforeAll(async () => {
    world = await startCaseWorld();
  });
  afterAll(() => world?.close());

  const MR = 'market_regulation';
  const stepOf = (c: CaseBody, step: string) => c.tasks.find((t) => t.step === step);
  const reportedFor = async (caseId: string) =>
    world.app.database.db
      .select({ type: events.type, data: events.data })
      .from(events)
      .where(and(eq(events.aggregateId, caseId), inArray(events.type, ['task.overdue'])));
  const ask = async (c: CaseBody, step: string, department: string) => {
    const now = await world.read(c.id, await world.officer(department));
    const res = await world.decide(
      c.id,
      stepOf(c, step)?.id as string,
      department,
      { decision: 'request_information', reason: '请补充租赁合同' },
      now.etag,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as CaseBody;
  };
  const answer = async (resident: Resident, c: CaseBody) => {
    // A token of today: the one the resident applied with has long expired.
    const fresh = await world.resident(resident.subject);
    const url = `/v1/cases/${c.id}/information`;
    const res = await world.app.app.inject({
      method: 'POST',
      url,
      headers: await fresh.headersFor('POST', url),
      payload: { message: '租赁合同已上传' },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as CaseBody;
  };

  it('moves every deadline on by exactly the working time of the wait, and nothing is late meanwhile', async () => {
    world.clock.set('2026-03-02T01:00:00Z'); // Monday 2 March, 09:00
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const before = deadlines(submitted);
    expect(before).toEqual({
      business_licence: endOf('2026-03-05'),
      fire_inspection: endOf('2026-03-16'),
      food_permit: endOf('2026-03-16'),
      final_issuance: null,
      case: endOf('2026-03-18'),
    });

    // T1: Tuesday 3 March, 12:00, market regulation asks the resident for a document.
    world.clock.set('2026-03-03T04:00:00Z');
    const asked = await ask(submitted, 'business_licence', MR);
    expect(asked.status).toBe('awaiting_information');
    expect(asked.paused).toBe(true);
    expect(stepOf(asked, 'business_licence')).toMatchObject({
      status: 'awaiting_information',
      paused: true,
    });
    for (const step of ['fire_inspection', 'food_permit']) {
      expect(stepOf(asked, step)).toMatchObject({ status: 'open', paused: true });
    }

    // Monday 9 March: the licence's old deadline (Thursday) has passed, but its clock is stopped.
    world.clock.set('2026-03-09T01:00:00Z');
    await world.sweep();
    expect(await reportedFor(submitted.id)).toEqual([]);
    const waiting = await world.read(submitted.id, await world.officer(MR));
    expect(waiting.paused).toBe(true);
    expect(deadlines(waiting)).toEqual(before);
    for (const task of waiting.tasks) expect(task.overdue).toBe(false);
    const queue = await world.app.app.inject({
      method: 'GET',
      url: `/v1/departments/${MR}/tasks?view=overdue`,
      headers: await world.officer(MR),
    });
    expect(queue.json().items).toEqual([]);

    // T2: Tuesday 10 March, 12:00, the resident answers. The wait took half of the 3rd, the
    // 4th, 5th, 6th and 9th, and half of the 10th: five working days (the weekend costs nothing).
    world.clock.set('2026-03-10T04:00:00Z');
    const answered = await answer(resident, submitted);
    expect(answered.status).toBe('in_progress');
    expect(answered.paused).toBe(false);
    for (const task of answered.tasks) expect(task.paused).toBe(false);
    expect(stepOf(answered, 'business_licence')?.status).toBe('open');
    expect(deadlines(answered)).toEqual({
      business_licence: endOf('2026-03-12'),
      fire_inspection: endOf('2026-03-23'),
      food_permit: endOf('2026-03-23'),
      final_issuance: null,
      case: endOf('2026-03-25'),
    });
    // The same, said as the calendar counts: each deadline is five working days later.
    const after = deadlines(answered);
    for (const [key, due] of Object.entries(before)) {
      if (due === null) continue;
      const moved = calendar.addWorkingDays(new Date(Date.parse(due) - 1), 5);
      expect(after[key], key).toBe(moved.toISOString());
    }

    // The clock runs again: late at the new deadline, not a millisecond before.
    world.clock.set(Date.parse(endOf('2026-03-12')) - 1);
    await world.sweep();
    expect(await reportedFor(submitted.id)).toEqual([]);
    world.clock.set(endOf('2026-03-12'));
    await world.sweep();
    expect(await reportedFor(submitted.id)).toEqual([
      {
        type: 'task.overdue',
        data: expect.objectContaining({ step: 'business_licence', dueAt: endOf('2026-03-12') }),
      },
    ]);
  });

  it('keeps a task late that was already late when the wait began', async () => {
    world.clock.set('2026-03-16T01:00:00Z'); // Monday 16 March, 09:00
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    expect(stepOf(submitted, 'business_licence')?.dueAt).toBe(endOf('2026-03-19'));

    // Friday 20 March: the licence is a day late when fire safety asks the resident something.
    world.clock.set('2026-03-20T02:00:00Z');
    const asked = await ask(submitted, 'fire_inspection', 'fire_safety');
    expect(stepOf(asked, 'business_licence')).toMatchObject({
      status: 'open',
      paused: true,
      overdue: true,
    });
    expect(await world.sweep()).toBeGreaterThanOrEqual(1);
    expect((await reportedFor(submitted.id)).map((e) => (e.data as { step: string }).step)).toEqual(
      ['business_licence'],
    );

    // The wait does not give back time that had already run out.
    world.clock.set('2026-03-24T02:00:00Z');
    const answered = await answer(resident, submitted);
    expect(stepOf(answered, 'business_licence')).toMatchObject({
      dueAt: endOf('2026-03-19'),
      overdue: true,
      escalated: true,
    });
    await world.sweep();
    expect(await reportedFor(submitted.id)).toHaveLength(1);
  });

  it("stops the clocks of the case's other open tasks too: none is late while the wait lasts", async () => {
    world.clock.set('2026-04-13T01:00:00Z'); // Monday 13 April, 09:00
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    expect(stepOf(submitted, 'business_licence')?.dueAt).toBe(endOf('2026-04-16'));

    // Tuesday: fire safety asks; the licence stays open in market regulation's queue, stopped.
    world.clock.set('2026-04-14T04:00:00Z');
    await ask(submitted, 'fire_inspection', 'fire_safety');
    // The next Monday, past the licence's old deadline.
    world.clock.set('2026-04-20T01:00:00Z');
    await world.sweep();
    expect(await reportedFor(submitted.id)).toEqual([]);
    const waiting = await world.read(submitted.id, await world.officer(MR));
    expect(stepOf(waiting, 'business_licence')).toMatchObject({
      status: 'open',
      paused: true,
      overdue: false,
      dueAt: endOf('2026-04-16'),
    });
    const queue = await world.app.app.inject({
      method: 'GET',
      url: `/v1/departments/${MR}/tasks?view=overdue`,
      headers: await world.officer(MR),
    });
    expect(queue.json().items.map((i: { case: { id: string } }) => i.case.id)).not.toContain(
      submitted.id,
    );
  });
});
