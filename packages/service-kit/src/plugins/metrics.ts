import type { DatabaseStats } from '@tongban/db';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import fastifyMetricsModule from 'fastify-metrics';
import fp from 'fastify-plugin';
import promClient, { Counter, Gauge, Registry } from 'prom-client';
import type { JobObserver } from '../jobs.js';

// fastify-metrics is CommonJS with `exports.default`: Node's ESM loader hands back the whole
// exports object, so the plugin is its `default`.
const fastifyMetrics = fastifyMetricsModule.default;

/** One labelled value of a gauge. */
export interface GaugeSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/**
 * A gauge whose value is read at scrape time, e.g. the outbox backlog from a query. `collect`
 * returns one number, or one sample per label set (label sets it stops returning disappear).
 * If it throws, the gauge reads NaN for that scrape and `tongban_metric_collect_errors_total`
 * counts it; the rest of /metrics is still served.
 */
export interface GaugeDefinition {
  /** Prometheus name, `tongban_<what>_<unit>` by convention, e.g. `tongban_outbox_pending_events`. */
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
  readonly collect: () => Promise<number | readonly GaugeSample[]> | number;
}

export interface ServiceMetricsOptions {
  readonly service: string;
  readonly log: FastifyBaseLogger;
  /** Connection counts of the service's database, for the pool gauges. */
  readonly database?: { stats(): DatabaseStats };
  readonly gauges?: readonly GaugeDefinition[];
  /** Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  readonly processMetrics?: boolean;
}

/** Request-latency buckets in seconds: most API calls take milliseconds, QR rendering tens of them. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The metrics of one service instance, in a registry of its own: tests build several services in
 * one process, and prom-client's global registry would mix their series (or refuse duplicates).
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly processMetrics: boolean;
  private readonly collectErrors: Counter<'metric'>;
  private readonly jobRuns: Counter<'job' | 'outcome'>;
  private readonly jobLastSuccess: Gauge<'job'>;

  constructor(private readonly options: ServiceMetricsOptions) {
    this.registry.setDefaultLabels({ service: options.service });
    this.processMetrics = options.processMetrics !== false;
    this.collectErrors = new Counter({
      name: 'tongban_metric_collect_errors_total',
      help: 'Scrapes at which a gauge could not be read (it showed NaN).',
      labelNames: ['metric'],
      registers: [this.registry],
    });
    this.jobRuns = new Counter({
      name: 'tongban_job_runs_total',
      help: 'Finished runs of background jobs, by job and outcome (success or failure).',
      labelNames: ['job', 'outcome'],
      registers: [this.registry],
    });
    this.jobLastSuccess = new Gauge({
      name: 'tongban_job_last_success_timestamp_seconds',
      help: 'When each background job last finished without error (Unix time, service clock).',
      labelNames: ['job'],
      registers: [this.registry],
    });
    const { database } = options;
    if (database) {
      const pool: [string, string, (s: DatabaseStats) => number][] = [
        ['tongban_db_pool_max_connections', 'Connections the pool may open.', (s) => s.max],
        ['tongban_db_pool_connections', 'Connections open now, busy or idle.', (s) => s.total],
        ['tongban_db_pool_idle_connections', 'Open connections not in use.', (s) => s.idle],
        [
          'tongban_db_pool_waiting_queries',
          'Queries waiting for a free connection.',
          (s) => s.waiting,
        ],
      ];
      for (const [name, help, read] of pool) {
        this.gauge({ name, help, collect: () => read(database.stats()) });
      }
    }
    for (const gauge of options.gauges ?? []) this.gauge(gauge);
  }

  gauge(definition: GaugeDefinition): void {
    const { name, collect } = definition;
    const labelNames = [...(definition.labelNames ?? [])];
    const { collectErrors } = this;
    const { log } = this.options;
    new Gauge({
      name,
      help: definition.help,
      labelNames,
      registers: [this.registry],
      async collect() {
        try {
          const value = await collect();
          if (typeof value === 'number') {
            this.set(value);
          } else {
            this.reset();
            for (const sample of value) this.set(sample.labels, sample.value);
          }
        } catch (err) {
          log.warn({ err, metric: name }, 'metric collection failed');
          collectErrors.inc({ metric: name });
          this.reset();
          if (labelNames.length === 0) this.set(Number.NaN);
        }
      },
    });
  }

  /** Counts job runs; the job registry reports to it. */
  readonly jobObserver: JobObserver = {
    registered: (job) => {
      // Zero-valued series from the start, so rate() and alerts see a job before its first run.
      this.jobRuns.inc({ job, outcome: 'success' }, 0);
      this.jobRuns.inc({ job, outcome: 'failure' }, 0);
    },
    finished: (job, outcome, at) => {
      this.jobRuns.inc({ job, outcome });
      if (outcome === 'success') this.jobLastSuccess.set({ job }, at.getTime() / 1000);
    },
  };
}

/**
 * `GET /metrics` in Prometheus text format, and request latency by route template, method and
 * status through fastify-metrics. The route is outside rate limits (a scraper must never be
 * limited out of the numbers that show an overload) and outside the OpenAPI document; it must
 * stay internal: the portal gateway refuses it and the network policy keeps it off the edge.
 */
export const metrics = fp(
  async (app: FastifyInstance, { metrics: serviceMetrics }: { metrics: ServiceMetrics }) => {
    const { registry } = serviceMetrics;
    await app.register(fastifyMetrics, {
      // Our pinned prom-client (the plugin would otherwise prefer a fork if one were installed);
      // every metric below goes to this instance's registry, none to prom-client's global one.
      promClient,
      endpoint: null,
      defaultMetrics: {
        enabled: serviceMetrics.processMetrics,
        register: registry,
        // One event-loop monitor per service instance; tests run several in one process.
        eventLoopMonitoringPrecision: 20,
      },
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        // Unmatched URLs (404s, scanners) are counted under one `__unknown__` route label.
        registeredRoutesOnly: false,
        overrides: {
          histogram: {
            name: 'http_request_duration_seconds',
            help: 'HTTP request latency by route template, method and status code.',
            buckets: LATENCY_BUCKETS,
            registers: [registry],
          },
          // Created by the plugin even when disabled; kept out of every registry.
          summary: { registers: [] },
        },
      },
    });
    app.get(
      '/metrics',
      {
        schema: { hide: true },
        config: { rateLimit: false, disableMetrics: true },
        logLevel: 'warn',
      },
      async (_request, reply) => {
        reply.type(registry.contentType);
        return registry.metrics();
      },
    );
  },
  { name: 'tongban-metrics' },
);
