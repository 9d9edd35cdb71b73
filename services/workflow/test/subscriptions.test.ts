import { type TestIssuer, testIssuer } from '@tongban/test-tokens';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, outbox } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('GET|POST|DELETE /v1/subscriptions (workflow)', () => {
  const clock = () => new Date();
  let t: TestApp;
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await testIssuer(clock);
    t = await startTestApp({}, { clock, keyResolver: issuer.keyResolver });
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object) =>
    t.app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload ? { payload } : {}),
    });

  it('keeps the service catalogue public', async () => {
    expect((await call('GET', '/v1/services')).statusCode).toBe(200);
  });

  it('lets a department admin subscribe and unsubscribe, each recorded as an event', async () => {
    const admin = await issuer.staff('social_security', ['department_admin']);
    const created = await call('POST', '/v1/subscriptions', admin, {
      url: 'http://127.0.0.1:9/case-events',
      eventTypes: ['case.submitted', 'case.decided'],
    });
    expect(created.statusCode).toBe(201);
    const { id, secret, eventTypes } = created.json();
    expect(secret).toMatch(/^whsec_/);
    expect(eventTypes).toEqual(['case.decided', 'case.submitted']);
    const retried = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: { authorization: `Bearer ${admin}`, 'idempotency-key': 'sub-1' },
      payload: { url: 'http://127.0.0.1:9/x', eventTypes: ['case.submitted'] },
    });
    const replay = await t.app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: { authorization: `Bearer ${admin}`, 'idempotency-key': 'sub-1' },
      payload: { url: 'http://127.0.0.1:9/x', eventTypes: ['case.submitted'] },
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(retried.json().id);

    const other = await call('DELETE', `/v1/subscriptions/${id}`, await issuer.client('health'));
    expect(other.statusCode).toBe(404);
    expect((await call('DELETE', `/v1/subscriptions/${id}`, admin)).statusCode).toBe(204);

    const recorded = await t.database.db
      .select({ id: events.id, type: events.type })
      .from(events)
      .where(eq(events.aggregateId, id));
    expect(recorded.map((e) => e.type).sort()).toEqual([
      'subscription.created',
      'subscription.deleted',
    ]);
    for (const event of recorded) {
      const [row] = await t.database.db.select().from(outbox).where(eq(outbox.eventId, event.id));
      expect(row).toMatchObject({ audience: 'social_security' });
      expect(JSON.stringify(row?.payload)).not.toContain('whsec_');
    }
  });

  it('refuses residents and clerks (403) and anonymous callers (401)', async () => {
    expect((await call('GET', '/v1/subscriptions')).statusCode).toBe(401);
    expect((await call('GET', '/v1/subscriptions', await issuer.resident())).statusCode).toBe(403);
    const clerk = await call(
      'GET',
      '/v1/subscriptions',
      await issuer.staff('health', ['case_officer']),
    );
    expect(clerk.statusCode).toBe(403);
  });
});
