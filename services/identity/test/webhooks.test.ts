import { randomUUID } from 'node:crypto';
import { eventually, startSubscriber } from '@tongban/testing';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { adminToken, bearer, clerkIn, enrol } from './helpers/flow.js';

// Identity's events leave through the same outbox and webhooks as every other service's: a
// department system learns of a revoked credential without polling the status list.
describe('identity webhooks', () => {
  let t: TestApp;
  let subscriber: Awaited<ReturnType<typeof startSubscriber>>;
  let clerk: string;
  let departmentAdmin: string;
  beforeAll(async () => {
    t = await startTestApp();
    subscriber = await startSubscriber({ '/revocations': () => 204 });
    const admin = await adminToken(t.app);
    const { department } = await clerkIn(t.app, admin, { roles: ['department_admin'] });
    departmentAdmin = (await clerkIn(t.app, admin, { department, roles: ['department_admin'] }))
      .token;
    clerk = (await clerkIn(t.app, admin, { department })).token;
  });
  afterAll(async () => {
    await subscriber.close();
    await t.close();
  });

  const rows = async <T>(query: ReturnType<typeof sql>) =>
    ((await t.database.db.execute(query)) as unknown as { rows: T[] }).rows;

  it('delivers a credential revocation to a subscribed department system, signed per Standard Webhooks', async () => {
    const subscribed = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: bearer(departmentAdmin),
      payload: { url: subscriber.url('/revocations'), eventTypes: ['credential.revoked'] },
    });
    expect(subscribed.statusCode).toBe(201);
    const { secret } = subscribed.json() as { secret: string };

    const enrolled = await enrol(t.app, clerk);
    expect(enrolled.statusCode).toBe(201);
    const credential = enrolled.json().credential as { id: string; statusIndex: number };
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/v1/credentials/${credential.id}/revoke`,
      headers: bearer(departmentAdmin),
      payload: { reason: 'device stolen, reported at the counter' },
    });
    expect(revoked.statusCode).toBe(200);

    const received = await eventually(async () => {
      await t.app.jobs.runNow('webhook-delivery');
      return subscriber.received.find((r) => r.path === '/revocations');
    });
    const body = new Webhook(secret).verify(received.body, {
      'webhook-id': String(received.headers['webhook-id']),
      'webhook-timestamp': String(received.headers['webhook-timestamp']),
      'webhook-signature': String(received.headers['webhook-signature']),
    }) as { type: string; data: Record<string, unknown> };
    expect(body.type).toBe('credential.revoked');
    expect(body.data).toMatchObject({ statusIndex: credential.statusIndex, toStatus: 'revoked' });
    // The event names the credential's status index, never the person.
    expect(received.body).not.toContain(enrolled.json().subjectId);
    const [event] = await rows<{ id: string }>(
      sql`select id from identity.events where aggregate_id = ${credential.id} and type = 'credential.revoked'`,
    );
    expect(received.headers['webhook-id']).toBe(event?.id);
  });

  it('deletes dispatched outbox rows and finished deliveries after their retention, and nothing pending', async () => {
    const now = t.clock().getTime();
    const day = 86_400_000;
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const [oldDispatched, freshDispatched, oldPending] = [randomUUID(), randomUUID(), randomUUID()];
    for (const [eventId, created, dispatched] of [
      [oldDispatched, at(9 * day), at(8 * day)],
      [freshDispatched, at(2 * day), at(day)],
      [oldPending, at(9 * day), null],
    ] as const) {
      await t.database.db.execute(sql`
        insert into identity.outbox (event_id, type, payload, created_at, dispatched_at)
        values (${eventId}::uuid, 'test.kept_or_not', '{}'::jsonb, ${created}::timestamptz, ${dispatched}::timestamptz)`);
    }
    const subscription = randomUUID();
    for (const [status, created] of [
      ['delivered', at(8 * day)],
      ['delivered', at(day)],
      ['dead', at(8 * day)],
      ['dead', at(31 * day)],
      ['pending', at(40 * day)],
    ] as const) {
      await t.database.db.execute(sql`
        insert into identity.deliveries
          (event_id, subscription_id, event_type, payload, occurred_at, status, next_attempt_at, created_at)
        values (${randomUUID()}::uuid, ${subscription}::uuid, 'test.kept_or_not', '{}'::jsonb,
          ${created}::timestamptz, ${status}, ${created}::timestamptz, ${created}::timestamptz)`);
    }

    const run = await t.app.jobs.runNow('webhook-retention');
    expect(run.outcome).toBe('success');

    const outbox = await rows<{ event_id: string }>(
      sql`select event_id from identity.outbox where type = 'test.kept_or_not'`,
    );
    expect(outbox.map((r) => r.event_id).sort()).toEqual([freshDispatched, oldPending].sort());
    const deliveries = await rows<{ status: string; created_at: Date | string }>(
      sql`select status, created_at from identity.deliveries where subscription_id = ${subscription}::uuid order by status, created_at`,
    );
    expect(deliveries.map((r) => r.status)).toEqual(['dead', 'delivered', 'pending']);
  });
});
