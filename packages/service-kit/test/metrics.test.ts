import { fileURLToPath } from 'node:url';
import { type Database, openDatabase } from '@tongban/db';
import { createTestDatabase, parsePrometheus, type TestDatabase } from '@tongban/testing';
import { count, eq, sql } from 'drizzle-orm';
import promClient from 'prom-client';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createService,
  deleteExpiredIdempotencyKeys,
  IDEMPOTENCY_KEY_TTL_MS,
  type ServiceInstance,
} from '../src/index.js';
import { idempotencyKeys, widgets } from './fixtures/idempotency-schema.js';
import { buildKitApp, testConfig } from './helpers.js';

const migrationsFolder = fileURLToPath(new URL('./fixtures/migrations/kitidem', import.meta.url));
const T0 = new Date('2030-03-01T08:00:00.000Z');

let testDb: TestDatabase;
let database: Database;
let app: ServiceInstance;
let now = T0;

beforeAll(async () => {
  testDb = await createTestDatabase();
  database = await openDatabase({ service: 'kitidem', target: testDb.target, migrationsFolder });
  await database.migrate();
  app = await createService({
    name: 'kit-metrics',
    version: '0.0.0',
    description: 'metrics under test',
    readiness: async () => {},
    config: testConfig,
    clock: () => now,
    database,
    idempotencyTable: idempotencyKeys,
    metrics: {
      processMetrics: false,
      gauges: [
        {
          // Stands in for the outbox backlog: a gauge read from a real table at scrape time.
          name: 'tongban_test_widgets',
          help: 'Widgets in the table.',
          collect: async () => {
            const [row] = await database.db.select({ n: count() }).from(widgets);
            return row?.n ?? 0;
          },
        },
      ],
    },
  });
  app.prometheus.gauge({
    name: 'tongban_test_widgets_by_name',
    help: 'Widgets by name.',
    labelNames: ['name'],
    collect: async () => {
      const rows = await database.db
        .select({ name: widgets.name, n: count() })
        .from(widgets)
        .groupBy(widgets.name);
      return rows.map((r) => ({ labels: { name: r.name }, value: r.n }));
    },
  });
  app.prometheus.gauge({
    name: 'tongban_test_broken',
    help: 'A gauge whose query fails.',
    collect: async () => {
      await database.db.execute(sql`select * from kitidem.no_such_table`);
      return 1;
    },
  });
  app.get(
    '/v1/widgets/:id',
    { config: { public: true }, schema: { params: Type.Object({ id: Type.Integer() }) } },
    async (request) => ({ id: request.params.id }),
  );
  app.jobs.register({
    name: 'always-fails',
    intervalMs: 3_600_000,
    run: async () => {
      throw new Error('nope');
    },
  });
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  await testDb?.drop();
});

async function scrape() {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

function family(metrics: Awaited<ReturnType<typeof scrape>>, name: string) {
  const found = metrics.get(name);
  if (!found) throw new Error(`no ${name} in /metrics`);
  return found;
}

describe('GET /metrics', () => {
  it('times requests by route template, method and status, never by raw URL', async () => {
    for (const id of [1, 2, 3]) await app.inject({ method: 'GET', url: `/v1/widgets/${id}` });
    await app.inject({ method: 'GET', url: '/v1/widgets/not-a-number' });
    await app.inject({ method: 'GET', url: '/no/such/path/4711' });
    const metrics = await scrape();
    const latency = family(metrics, 'http_request_duration_seconds');
    expect(latency.type).toBe('HISTOGRAM');
    const byLabels = (route: string, status: string) =>
      latency.metrics.find(
        (m) =>
          m.labels.route === route && m.labels.status_code === status && m.labels.method === 'GET',
      );
    expect(byLabels('/v1/widgets/:id', '200')?.count).toBe('3');
    expect(byLabels('/v1/widgets/:id', '400')?.count).toBe('1');
    expect(byLabels('__unknown__', '404')?.count).toBe('1');
    const routes = new Set(latency.metrics.map((m) => m.labels.route));
    for (const raw of ['/v1/widgets/1', '/v1/widgets/not-a-number', '/no/such/path/4711']) {
      expect(routes).not.toContain(raw);
    }
    expect(latency.metrics.every((m) => m.labels.service === 'kit-metrics')).toBe(true);
    // Scrapes are not timed: they would drown the service's own traffic.
    expect(latency.metrics.some((m) => m.labels.route === '/metrics')).toBe(false);
  });

  it('reads a collector gauge from the database at scrape time', async () => {
    await database.db.insert(widgets).values([{ name: 'a' }, { name: 'a' }, { name: 'b' }]);
    let metrics = await scrape();
    expect(family(metrics, 'tongban_test_widgets').metrics[0]?.value).toBe('3');
    expect(
      family(metrics, 'tongban_test_widgets_by_name').metrics.map((m) => [m.labels.name, m.value]),
    ).toEqual([
      ['a', '2'],
      ['b', '1'],
    ]);
    await database.db.delete(widgets).where(eq(widgets.name, 'a'));
    metrics = await scrape();
    expect(family(metrics, 'tongban_test_widgets').metrics[0]?.value).toBe('1');
    // A label set no longer returned disappears rather than keeping its last value.
    expect(
      family(metrics, 'tongban_test_widgets_by_name').metrics.map((m) => m.labels.name),
    ).toEqual(['b']);
  });

  it('shows NaN for a gauge that cannot be read and counts the error, serving the rest', async () => {
    const metrics = await scrape();
    // prom-client writes `Nan`; Prometheus reads NaN case-insensitively.
    expect(Number.isNaN(Number(family(metrics, 'tongban_test_broken').metrics[0]?.value))).toBe(
      true,
    );
    const errors = family(metrics, 'tongban_metric_collect_errors_total').metrics.find(
      (m) => m.labels.metric === 'tongban_test_broken',
    );
    expect(Number(errors?.value)).toBeGreaterThanOrEqual(1);
  });

  it('reports the database pool', async () => {
    const metrics = await scrape();
    const value = (name: string) => Number(family(metrics, name).metrics[0]?.value);
    const max = value('tongban_db_pool_max_connections');
    expect(max).toBe(database.engine === 'pglite' ? 1 : 10);
    expect(value('tongban_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(value('tongban_db_pool_connections')).toBeLessThanOrEqual(max);
    expect(value('tongban_db_pool_idle_connections')).toBeLessThanOrEqual(
      value('tongban_db_pool_connections'),
    );
    expect(value('tongban_db_pool_waiting_queries')).toBe(0);
  });

  it('counts job runs by outcome and records the last success on the service clock', async () => {
    app.jobs.register({ name: 'not-yet-run', intervalMs: 3_600_000, run: async () => {} });
    let metrics = await scrape();
    const runs = (job: string, outcome: string) =>
      Number(
        family(metrics, 'tongban_job_runs_total').metrics.find(
          (m) => m.labels.job === job && m.labels.outcome === outcome,
        )?.value,
      );
    // A registered job shows zero counts before its first run.
    expect(runs('not-yet-run', 'success')).toBe(0);
    expect(runs('not-yet-run', 'failure')).toBe(0);
    const before = {
      sweep: runs('idempotency-key-sweep', 'success'),
      failures: runs('always-fails', 'failure'),
    };

    now = new Date(T0.getTime() + 60_000);
    expect((await app.jobs.runNow('idempotency-key-sweep')).outcome).toBe('success');
    expect((await app.jobs.runNow('always-fails')).outcome).toBe('failure');
    metrics = await scrape();
    expect(runs('idempotency-key-sweep', 'success')).toBe(before.sweep + 1);
    expect(runs('always-fails', 'failure')).toBe(before.failures + 1);
    expect(runs('always-fails', 'success')).toBe(0);
    const lastSuccess = family(metrics, 'tongban_job_last_success_timestamp_seconds').metrics;
    expect(lastSuccess.find((m) => m.labels.job === 'idempotency-key-sweep')?.value).toBe(
      String(now.getTime() / 1000),
    );
    expect(lastSuccess.some((m) => m.labels.job === 'always-fails')).toBe(false);
  });

  it('keeps every series in the instance’s own registry, none in the global one', async () => {
    expect(promClient.register.getMetricsAsArray()).toEqual([]);
    expect(app.prometheus.registry.getSingleMetric('http_request_duration_seconds')).toBeDefined();
  });

  it('is outside the OpenAPI document', async () => {
    const paths = Object.keys(app.swagger().paths ?? {});
    expect(paths).toContain('/v1/widgets/{id}');
    expect(paths).not.toContain('/metrics');
  });

  it('is outside rate limits', async () => {
    const limited = await buildKitApp({ rateLimitMax: 2 });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const res = await limited.inject({
          method: 'POST',
          url: '/v1/things',
          payload: { name: 'a', count: 1 },
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([201, 201, 429]);
      // Past the limit, a scraper still gets the numbers that show the overload.
      for (let i = 0; i < 3; i++) {
        expect((await limited.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
      }
    } finally {
      await limited.close();
    }
  });
});

describe('idempotency-key-sweep', () => {
  it('is registered by createService and deletes expired keys when it runs', async () => {
    const row = (key: string, expiresAt: Date) => ({
      scope: 'client:sweep',
      key,
      method: 'POST',
      path: '/v1/widgets',
      requestHash: 'x',
      status: 'done' as const,
      responseStatus: 201,
      createdAt: new Date(expiresAt.getTime() - IDEMPOTENCY_KEY_TTL_MS),
      expiresAt,
    });
    now = new Date(T0.getTime() + 10 * 60_000);
    await database.db
      .insert(idempotencyKeys)
      .values([
        row('expired', new Date(now.getTime() - 1)),
        row('live', new Date(now.getTime() + 1)),
      ]);
    expect(app.jobs.names()).toContain('idempotency-key-sweep');
    const run = await app.jobs.runNow('idempotency-key-sweep');
    expect(run).toEqual({ outcome: 'success', value: 1 });
    const left = await database.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.scope, 'client:sweep'));
    expect(left).toEqual([{ key: 'live' }]);
    // Nothing left to do: the next run deletes nothing.
    expect(
      await deleteExpiredIdempotencyKeys({ db: database.db, table: idempotencyKeys, now }),
    ).toBe(0);
  });
});
