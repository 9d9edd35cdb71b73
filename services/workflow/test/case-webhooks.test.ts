import { dispatchOutbox } from '@tongban/webhooks';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveries, outbox, subscriptions } from '../src/db/schema.js';
import { caseEventAudience } from '../src/domain/cases/case-audience.js';
import { type CaseWorld, RESTAURANT_FORM, startCaseWorld } from './helpers/case-world.js';

// Case events leave through the outbox as webhooks, but only to departments the case has reached.
describe('case events as webhooks', () => {
  let world: CaseWorld;
  const subscriptionOf: Record<string, string> = {};
  const TYPES = ['case.submitted', 'task.opened', 'task.decided', 'case.completed'];

  beforeAll(async () => {
    world = await startCaseWorld();
    for (const department of ['fire_safety', 'market_regulation', 'health']) {
      const admin = await world.issuer.staff(department, ['department_admin']);
      const res = await world.app.app.inject({
        method: 'POST',
        url: '/v1/subscriptions',
        headers: { authorization: `Bearer ${admin}` },
        payload: { url: `https://${department}.example.cn/hooks`, eventTypes: TYPES },
      });
      expect(res.statusCode, res.body).toBe(201);
      subscriptionOf[department] = res.json().id;
    }
  });
  afterAll(() => world?.close());

  const delivered = async (department: string) => {
    const db = world.app.database.db;
    await dispatchOutbox({
      db,
      tables: { outbox, subscriptions, deliveries },
      now: world.clock.now(),
      mayReceive: caseEventAudience,
    });
    const rows = await db
      .select({ type: outbox.type, payload: outbox.payload })
      .from(deliveries)
      .innerJoin(outbox, eq(outbox.eventId, deliveries.eventId))
      .where(and(eq(deliveries.subscriptionId, subscriptionOf[department] as string)));
    return rows;
  };

  it('tells each involved department of its own tasks, and a department with no part nothing', async () => {
    const resident = await world.resident();
    const submitted = await world.submit(resident, 'open_restaurant', RESTAURANT_FORM);
    const fire = await delivered('fire_safety');
    const forCase = (rows: typeof fire) =>
      rows.filter((r) => (r.payload as { caseId?: string }).caseId === submitted.id);
    expect(
      forCase(fire)
        .map((r) => r.type)
        .sort(),
    ).toEqual(['case.submitted', 'task.opened']);
    expect(
      (
        forCase(fire).find((r) => r.type === 'task.opened')?.payload as
          | { step?: string }
          | undefined
      )?.step,
    ).toBe('fire_inspection');
    const market = forCase(await delivered('market_regulation'));
    expect(market.filter((r) => r.type === 'task.opened')).toHaveLength(2);
    expect(forCase(await delivered('health'))).toEqual([]);
    // No subject id, name or form in case-level events.
    const submittedEvent = fire.find((r) => r.type === 'case.submitted');
    expect(JSON.stringify(submittedEvent?.payload)).not.toContain(resident.subject);
    expect(JSON.stringify(submittedEvent?.payload)).not.toContain(
      RESTAURANT_FORM.legalRepresentative,
    );
  });
});
