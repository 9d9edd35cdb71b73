import { testIssuer } from '@tongban/test-tokens';
import { parsePrometheus } from '@tongban/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKeys } from '../src/db/schema.js';
import { startTestApp, type TestApp } from './helpers/app.js';

// This file uses real time throughout: the service's clock is the system clock.
describe('GET /metrics (records)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('parses and holds request latency by route, the pool and the job counters', async () => {
    await t.app.inject({ method: 'GET', url: '/v1/record-types?limit=5' });
    await t.app.inject({ method: 'POST', url: '/v1/record-types', payload: {} });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const metrics = parsePrometheus(res.body);
    const latency = metrics.get('http_request_duration_seconds')?.metrics ?? [];
    expect(latency).toContainEqual(
      expect.objectContaining({
        labels: expect.objectContaining({
          route: '/v1/record-types',
          method: 'GET',
          status_code: '200',
          service: 'records',
        }),
      }),
    );
    expect(latency).toContainEqual(
      expect.objectContaining({
        labels: expect.objectContaining({ route: '/v1/record-types', method: 'POST' }),
      }),
    );
    expect(metrics.get('tongban_db_pool_connections')?.metrics).toHaveLength(1);
    // The POST above was refused, so nothing waits in the outbox.
    expect(metrics.get('tongban_outbox_pending_events')?.metrics[0]?.value).toBe('0');
    expect(metrics.get('tongban_outbox_oldest_pending_age_seconds')?.metrics[0]?.value).toBe('0');
    expect(
      metrics
        .get('tongban_webhook_deliveries')
        ?.metrics.map((m) => m.labels.state)
        .sort(),
    ).toEqual(['dead', 'delivered', 'pending']);
    expect(
      Number(metrics.get('tongban_signing_key_age_seconds')?.metrics[0]?.value),
    ).toBeGreaterThanOrEqual(0);
    expect(
      metrics.get('tongban_job_runs_total')?.metrics.map((m) => [m.labels.job, m.labels.outcome]),
    ).toEqual(
      expect.arrayContaining([
        ['idempotency-key-sweep', 'success'],
        ['idempotency-key-sweep', 'failure'],
      ]),
    );
  });
});

describe('outbox backlog in /metrics (records)', () => {
  let t: TestApp;
  let departmentAdmin: string;

  beforeAll(async () => {
    const issuer = await testIssuer(() => new Date());
    // No delivery passes in this app: what the change writes to the outbox stays pending.
    t = await startTestApp({}, { keyResolver: issuer.keyResolver });
    departmentAdmin = await issuer.staff('health', ['department_admin']);
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts an undispatched event and reports its age', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/record-types',
      headers: { authorization: `Bearer ${departmentAdmin}` },
      payload: {
        code: 'metrics_probe',
        name: { zh: '指标', en: 'Metrics probe' },
        fieldSchema: { type: 'object', properties: { a: { type: 'string' } } },
        classification: { a: 'basic' },
      },
    });
    expect(created.statusCode).toBe(201);
    const metrics = parsePrometheus((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
    expect(metrics.get('tongban_outbox_pending_events')?.metrics[0]?.value).toBe('1');
    expect(
      Number(metrics.get('tongban_outbox_oldest_pending_age_seconds')?.metrics[0]?.value),
    ).toBeGreaterThanOrEqual(0);
  });
});

describe('idempotency-key-sweep (records)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('deletes an expired key and keeps a live one', async () => {
    const hour = 3_600_000;
    const now = Date.now();
    const row = (key: string, expiresAt: Date) => ({
      scope: 'staff:sweep-test',
      key,
      method: 'POST',
      path: '/v1/record-types',
      requestHash: 'h',
      status: 'done' as const,
      responseStatus: 201,
      createdAt: new Date(expiresAt.getTime() - 24 * hour),
      expiresAt,
    });
    await t.database.db
      .insert(idempotencyKeys)
      .values([row('expired', new Date(now - hour)), row('live', new Date(now + hour))]);

    expect(await t.app.jobs.runNow('idempotency-key-sweep')).toEqual({
      outcome: 'success',
      value: 1,
    });
    const left = await t.database.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.scope, 'staff:sweep-test'));
    expect(left).toEqual([{ key: 'live' }]);
  });
});
