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
