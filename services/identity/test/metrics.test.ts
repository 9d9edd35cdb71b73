import { randomUUID } from 'node:crypto';
import { type MetricFamily, parsePrometheus } from '@tongban/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testClock } from './helpers/app.js';

describe('GET /metrics (identity)', () => {
  const clock = testClock(new Date('2026-11-26T09:00:00Z'));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({}, { clock });
  });
  afterAll(async () => {
    await t.close();
  });

  async function scrape(): Promise<Map<string, MetricFamily>> {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return parsePrometheus(res.body);
  }

  const samples = (metrics: Map<string, MetricFamily>, name: string) => {
    const family = metrics.get(name);
    if (!family) throw new Error(`no ${name} in /metrics`);
    return family.metrics;
  };

  it('times requests under the route template, not the credential id', async () => {
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      expect((await t.app.inject({ method: 'GET', url: `/v1/credentials/${id}` })).statusCode).toBe(
        401,
      );
    }
    const metrics = await scrape();
    const latency = samples(metrics, 'http_request_duration_seconds');
    const credential = latency.find(
      (m) =>
        m.labels.route === '/v1/credentials/:id' &&
        m.labels.method === 'GET' &&
        m.labels.status_code === '401',
    );
    expect(Number(credential?.count)).toBeGreaterThanOrEqual(2);
    const routes = latency.map((m) => m.labels.route ?? '');
    for (const id of ids) expect(routes.some((route) => route.includes(id))).toBe(false);
  });

  it('shows the age of the active signing key on the service clock', async () => {
    const before = Number(samples(await scrape(), 'tongban_signing_key_age_seconds')[0]?.value);
    clock.advance(90_000);
    const after = Number(samples(await scrape(), 'tongban_signing_key_age_seconds')[0]?.value);
    expect(after - before).toBe(90);
    expect(before).toBeGreaterThanOrEqual(0);
  });

  it('runs key rotation and the idempotency sweep as jobs, counted by outcome', async () => {
    expect(t.app.jobs.names()).toEqual(
      expect.arrayContaining(['signing-key-rotation', 'idempotency-key-sweep']),
    );
    const runs = (metrics: Map<string, MetricFamily>, job: string) =>
      Number(
        samples(metrics, 'tongban_job_runs_total').find(
          (m) => m.labels.job === job && m.labels.outcome === 'success',
        )?.value,
      );
    const before = await scrape();
    expect((await t.app.jobs.runNow('signing-key-rotation')).outcome).toBe('success');
    expect((await t.app.jobs.runNow('idempotency-key-sweep')).outcome).toBe('success');
    const after = await scrape();
    expect(runs(after, 'signing-key-rotation')).toBe(runs(before, 'signing-key-rotation') + 1);
    expect(runs(after, 'idempotency-key-sweep')).toBe(runs(before, 'idempotency-key-sweep') + 1);
    const lastSuccess = samples(after, 'tongban_job_last_success_timestamp_seconds').find(
      (m) => m.labels.job === 'signing-key-rotation',
    );
    expect(Number(lastSuccess?.value)).toBe(clock().getTime() / 1000);
  });

  it('reports the database pool', async () => {
    const metrics = await scrape();
    expect(Number(samples(metrics, 'tongban_db_pool_connections')[0]?.value)).toBeGreaterThan(0);
    expect(samples(metrics, 'tongban_db_pool_waiting_queries')[0]?.value).toBe('0');
  });
});
