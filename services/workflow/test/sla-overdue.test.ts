import { testIssuer } from '@tongban/test-tokens';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, outbox, tasks } from '../src/db/schema.js';
import { sweepOverdueTasks } from '../src/domain/sla/overdue-sweep.js';
import {
  CATALOGUE,
  type CaseWorld,
  manualClock,
  RESTAURANT_FORM,
  residentOf,
  startCaseWorld,
} from './helpers/case-world.js';
import { type Replicas, startReplicas } from './helpers/replicas.js';

type Db = CaseWorld['app']['database']['db'];

/** A case's overdue and escalation events, oldest first. */
async function slaEvents(db: Db, caseId: string) {
  return db
    .select()
    .from(events)
    .where(
      and(eq(events.aggregateId, caseId), inArray(events.type, ['task.overdue', 'task.escalated'])),
    )
    .orderBy(events.id);
}

describe('the overdue sweep (sla-overdue)', () => {
  let world: CaseWorld;
  beforeAll(async () => {
    world = await startCaseWorld();
  });
  afterAll(() => world?.close());

  it('reports an open task once, at 24:00 of its last working day, to its department and its administrator', async () => {
    world.clock.set('2026-03-02T01:00:00Z'); // Monday 2 March, 09:00 in Shanghai
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const licence = submitted.tasks.find((t) => t.step === 'business_licence');
    // Three working days after Monday: Tuesday, Wednesday, Thursday; due at 24:00 Thursday.
    expect(licence?.dueAt).toBe('2026-03-05T16:00:00.000Z');

    world.clock.set(Date.parse('2026-03-05T16:00:00Z') - 1);
    await world.sweep();
    expect(await slaEvents(world.app.database.db, submitted.id)).toEqual([]);

    world.clock.set('2026-03-05T16:00:00Z');
    expect(await world.sweep()).toBe(1);
    const reported = await slaEvents(world.app.database.db, submitted.id);
    const data = {
      caseId: submitted.id,
      number: submitted.number,
      taskId: licence?.id,
      step: 'business_licence',
      department: 'market_regulation',
      dueAt: '2026-03-05T16:00:00.000Z',
    };
    expect(reported.map((e) => [e.type, e.data, e.actor, e.aggregateVersion])).toEqual([
      ['task.overdue', data, 'system', submitted.version],
      ['task.escalated', { ...data, to: 'department_admin' }, 'system', submitted.version],
    ]);
    const delivered = await world.app.database.db
      .select({ type: outbox.type, audience: outbox.audience })
      .from(outbox)
      .where(
        inArray(
          outbox.eventId,
          reported.map((e) => e.id),
        ),
      );
    expect(delivered.map((o) => o.audience)).toEqual(['market_regulation', 'market_regulation']);

    // Reported once: the next runs find nothing more to say about it.
    expect(await world.sweep()).toBe(0);
    world.clock.advance(3_600_000);
    expect(await world.sweep()).toBe(0);
    expect(await slaEvents(world.app.database.db, submitted.id)).toHaveLength(2);

    // Not a change of the case: same version, same ETag; the task shows it is late.
    const officer = await world.officer('market_regulation');
    const now = await world.read(submitted.id, officer);
    expect(now.version).toBe(submitted.version);
    expect(now.etag).toBe(submitted.etag);
    const flags = Object.fromEntries(
      now.tasks.map((t) => [t.step, { overdue: t.overdue, escalated: t.escalated }]),
    );
    expect(flags).toEqual({
      business_licence: { overdue: true, escalated: true },
      fire_inspection: { overdue: false, escalated: false },
      food_permit: { overdue: false, escalated: false },
      final_issuance: { overdue: false, escalated: false },
    });

    // The department's overdue queue lists it; another department's does not.
    const queue = await world.app.app.inject({
      method: 'GET',
      url: '/v1/departments/market_regulation/tasks?view=overdue',
      headers: officer,
    });
    expect(queue.statusCode, queue.body).toBe(200);
    expect(queue.json().items.map((i: { id: string }) => i.id)).toContain(licence?.id);
    const fire = await world.app.app.inject({
      method: 'GET',
      url: '/v1/departments/fire_safety/tasks?view=overdue',
      headers: await world.officer('fire_safety'),
    });
    expect(fire.json().items.map((i: { case: { id: string } }) => i.case.id)).not.toContain(
      submitted.id,
    );

    // The resident's timeline says so (a token of today: the one they applied with has expired).
    const later = await world.resident(resident.subject);
    const timeline = await world.app.app.inject({
      method: 'GET',
      url: `/v1/cases/${submitted.id}/events`,
      headers: await later.headersFor('GET', `/v1/cases/${submitted.id}/events`),
    });
    const items = timeline.json().items as { type: string; summary: { en: string } }[];
    expect(items.filter((e) => e.type === 'task.overdue' || e.type === 'task.escalated')).toEqual([
      expect.objectContaining({
        type: 'task.overdue',
        summary: expect.objectContaining({ en: expect.stringMatching(/past its time limit$/) }),
      }),
      expect.objectContaining({
        type: 'task.escalated',
        summary: expect.objectContaining({
          en: expect.stringMatching(/referred to the head of the department$/),
        }),
      }),
    ]);

    // An officer's decision made on the ETag read before the deadline still goes through.
    const late = await world.decide(
      submitted.id,
      licence?.id as string,
      'market_regulation',
      { decision: 'approve', reason: '营业执照核准' },
      submitted.etag,
    );
    expect(late.statusCode, late.body).toBe(200);
  });

  it('never reports a task decided before its deadline', async () => {
    world.clock.set('2026-03-09T01:00:00Z'); // Monday 9 March, 09:00
    const submitted = await world.submit(
      await world.resident(),
      'open_restaurant',
      RESTAURANT_FORM,
    );
    const licence = submitted.tasks.find((t) => t.step === 'business_licence');
    world.clock.set('2026-03-12T15:00:00Z'); // Thursday 23:00, an hour before the deadline
    const decided = await world.decide(
      submitted.id,
      licence?.id as string,
      'market_regulation',
      { decision: 'approve', reason: '营业执照核准' },
      submitted.etag,
    );
    expect(decided.statusCode, decided.body).toBe(200);
    world.clock.set('2026-03-13T16:00:00Z');
    await world.sweep();
    expect(await slaEvents(world.app.database.db, submitted.id)).toEqual([]);
  });
});

// Acceptance 6.
describe('the overdue sweep in two workflow instances on one database', () => {
  const clock = manualClock();
  let replicas: Replicas;
  const CASES = 16;

  beforeAll(async () => {
    const issuer = await testIssuer(clock.now);
    replicas = await startReplicas(2, {
      clock: clock.now,
      keyResolver: issuer.keyResolver,
      catalogueDir: CATALOGUE,
      // Short on purpose: each instance's own schedule races the runs the test makes.
      slaOverdueJob: { intervalMs: 50 },
    });
    for (let i = 0; i < CASES; i++) {
      const app = replicas.apps[i % 2];
      const resident = await residentOf(issuer, clock.now);
      const res = await app?.inject({
        method: 'POST',
        url: '/v1/cases',
        headers: await resident.headersFor('POST', '/v1/cases'),
        payload: { service: 'open_restaurant', form: RESTAURANT_FORM },
      });
      expect(res?.statusCode, res?.body).toBe(201);
    }
  });
  afterAll(() => replicas?.close());

  it('emits each task.overdue exactly once', async () => {
    const [one, two] = replicas.databases;
    if (one === undefined || two === undefined) throw new Error('two replicas expected');
    const sweep = (db: Db) =>
      sweepOverdueTasks({
        ctx: { db, actor: undefined, requestId: 'test', clock: clock.now },
        // Small batches, so the instances' transactions interleave over the same rows.
        input: { now: clock.now(), batchSize: 3 },
      });
    const runNow = (i: number) => replicas.apps[i]?.jobs.runNow('sla-overdue');

    // Two waves: the licences (3 working days) run out first, the other two steps (10) later.
    for (const at of ['2026-03-05T16:00:00Z', '2026-03-16T16:00:00Z']) {
      clock.set(at);
      for (let round = 0; round < 3; round++) {
        await Promise.all([
          sweep(one.db),
          sweep(two.db),
          runNow(0),
          runNow(1),
          sweep(two.db),
          sweep(one.db),
        ]);
      }
    }

    const open = await one.db
      .select({ id: tasks.id, overdueAt: tasks.overdueAt })
      .from(tasks)
      .where(eq(tasks.status, 'open'));
    expect(open).toHaveLength(CASES * 3);
    expect(open.every((t) => t.overdueAt !== null)).toBe(true);

    const counted = await one.db
      .select({
        type: events.type,
        taskId: sql<string>`${events.data}->>'taskId'`,
        n: sql<number>`count(*)::int`,
      })
      .from(events)
      .where(inArray(events.type, ['task.overdue', 'task.escalated']))
      .groupBy(events.type, sql`${events.data}->>'taskId'`);
    for (const type of ['task.overdue', 'task.escalated']) {
      const ofType = counted.filter((c) => c.type === type);
      expect(ofType.map((c) => c.taskId).sort()).toEqual(open.map((t) => t.id).sort());
      expect(ofType.every((c) => Number(c.n) === 1)).toBe(true);
    }
    const [outboxRows] = await one.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(inArray(outbox.type, ['task.overdue', 'task.escalated']));
    expect(Number(outboxRows?.n)).toBe(CASES * 3 * 2);
  });
});
