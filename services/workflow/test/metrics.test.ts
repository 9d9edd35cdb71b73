import { parsePrometheus } from '@tongban/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

describe('GET /metrics (workflow)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('parses and holds request latency by route and the database pool', async () => {
    for (let i = 0; i < 3; i++) await t.app.inject({ method: 'GET', url: '/v1/services' });
    await t.app.inject({ method: 'GET', url: '/v1/services?limit=0' });
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const metrics = parsePrometheus(res.body);
    const latency = metrics.get('http_request_duration_seconds');
    expect(latency?.type).toBe('HISTOGRAM');
    const ok = latency?.metrics.find(
      (m) => m.labels.route === '/v1/services' && m.labels.status_code === '200',
    );
    expect(ok?.count).toBe('3');
    expect(ok?.buckets?.['+Inf']).toBe('3');
    expect(
      latency?.metrics.find(
        (m) => m.labels.route === '/v1/services' && m.labels.status_code === '400',
      )?.count,
    ).toBe('1');
    for (const name of [
      'tongban_db_pool_max_connections',
      'tongban_db_pool_connections',
      'tongban_db_pool_idle_connections',
      'tongban_db_pool_waiting_queries',
    ]) {
      expect(metrics.get(name)?.type).toBe('GAUGE');
    }
    // Counted in every service, even one without jobs yet: the family is declared.
    expect(metrics.get('tongban_job_runs_total')?.type).toBe('COUNTER');
  });
});
