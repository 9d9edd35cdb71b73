import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Database } from '@tongban/db';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { BaseConfig } from './config.js';
import { type ErrorCatalogue, errors, sharedErrors } from './errors.js';
import { deleteExpiredIdempotencyKeys, type IdempotencyKeysTable } from './idempotency.js';
import { JobRegistry } from './jobs.js';
import { loggerOptions } from './logger.js';
import { health } from './plugins/health.js';
import { type GaugeDefinition, metrics, ServiceMetrics } from './plugins/metrics.js';
import { openapi } from './plugins/openapi.js';
import { problemJson } from './plugins/problem-json.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { schemaCompilers } from './validation.js';

export type ServiceInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Anonymous callers are meant to reach this route. Every route declares either this or an
     * auth rule (`config.auth`); one with neither fails at startup.
     */
    public?: boolean;
    /**
     * The service's own error codes this route can answer with, beyond those the kit derives
     * from the route (validation, auth, not found, idempotency, If-Match); listed in OpenAPI.
     */
    errors?: readonly string[];
  }
  interface FastifyInstance {
    /** `METHOD /url` of each anonymous route the service registered (kit routes excluded), sorted. */
    readonly publicRoutes: readonly string[];
  }
  interface FastifyRequest {
    /** Set by authentication so limits apply per client or account rather than per address. */
    rateLimitKey?: string;
  }
  interface FastifyInstance {
    /** Background jobs of this instance: `app.jobs.register({ name, intervalMs, run })`. */
    jobs: JobRegistry;
    /** This instance's Prometheus registry: `app.prometheus.gauge({ name, help, collect })`. */
    prometheus: ServiceMetrics;
  }
}

/** Hourly in every replica; the delete skips rows another replica or a request holds. */
export const IDEMPOTENCY_SWEEP_INTERVAL_MS = 3_600_000;
// Short transactions: a backlog is cleared in batches rather than one long lock-holding delete.
const SWEEP_BATCH = 1000;

export interface ServiceOptions {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly readiness: () => Promise<unknown>;
  readonly config: Pick<BaseConfig, 'logLevel' | 'bodyLimit' | 'rateLimit' | 'trustProxy'>;
  /** Serve OpenAPI at /docs (the portal serves pages instead). */
  readonly docs?: boolean;
  /** Content-Security-Policy directives; APIs default to allowing nothing. */
  readonly contentSecurityPolicy?: Record<string, string[]>;
  /** Where logs go (stdout by default); tests pass a sink to read them. */
  readonly logStream?: { write(line: string): void };
  /** The service's clock: jobs read it for `now`. Default: the system clock. */
  readonly clock?: () => Date;
  /** The service's database: pool gauges in /metrics, and the idempotency sweep below. */
  // biome-ignore lint/suspicious/noExplicitAny: any service's schema; only stats() and db are used
  readonly database?: Database<any>;
  /**
   * The service's `idempotency_keys` table: expired keys are then deleted hourly by the job
   * `idempotency-key-sweep`. Needs `database`.
   */
  readonly idempotencyTable?: IdempotencyKeysTable;
  readonly metrics?: {
    /** Gauges read at scrape time (outbox backlog, key age…); more via `app.prometheus.gauge`. */
    readonly gauges?: readonly GaugeDefinition[];
    /** Node process metrics (CPU, memory, event loop, GC). Default true. */
    readonly processMetrics?: boolean;
  };
  /** The service's catalogue (`defineErrors` in its `src/errors.ts`); shared codes by default. */
  readonly errors?: ErrorCatalogue;
}

const PUBLIC_SCOPE = Symbol.for('tongban.public-scope');

/**
 * A plugin whose routes are all public, for third-party plugins that take no route config
 * (static files): `app.register(publicScope(async (pages) => { await pages.register(…) }))`.
 * Use it only where every route inside is meant to be anonymous.
 */
export function publicScope(
  plugin: (scope: FastifyInstance) => Promise<void>,
): (scope: FastifyInstance) => Promise<void> {
  return async (scope) => {
    scope.decorate(PUBLIC_SCOPE, true);
    await plugin(scope);
  };
}

/** Routes the kit registers itself, public by nature: probes, docs and metrics. */
export function isKitRoute(url: string): boolean {
  return (
    url === '/healthz' ||
    url === '/readyz' ||
    url === '/metrics' ||
    url === '/docs' ||
    url.startsWith('/docs/')
  );
}

/**
 * The anatomy every Tongban service shares: request ids, redacted logs, problem+json errors,
 * strict validation, security headers, rate limits, health and OpenAPI. A service's buildApp
 * calls this, then registers its own routes.
 */
export async function createService(options: ServiceOptions): Promise<ServiceInstance> {
  const { config } = options;
  const app = Fastify({
    logger:
      config.logLevel === 'silent'
        ? false
        : {
            ...loggerOptions(options.name, config.logLevel),
            ...(options.logStream ? { stream: options.logStream } : {}),
          },
    genReqId: requestIdFrom,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // On close, idle keep-alive sockets are dropped at once; busy ones finish their request.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { maxParamLength: 4096 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  closeRoutesByDefault(app, options.errors ?? sharedErrors);

  const clock = options.clock ?? (() => new Date());
  const serviceMetrics = new ServiceMetrics({
    service: options.name,
    log: app.log,
    ...(options.database ? { database: options.database } : {}),
    ...(options.metrics?.gauges ? { gauges: options.metrics.gauges } : {}),
    ...(options.metrics?.processMetrics === false ? { processMetrics: false } : {}),
  });
  const jobs = new JobRegistry({ clock, log: app.log, observer: serviceMetrics.jobObserver });
  app.decorate('prometheus', serviceMetrics);
  app.decorate('jobs', jobs);
  // preClose runs before the onClose hooks that close the database, so no job outlives it;
  // onClose covers an app closed before it was ever ready.
  app.addHook('preClose', () => jobs.stop());
  app.addHook('onClose', () => jobs.stop());

  app.setValidatorCompiler(schemaCompilers());
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  await app.register(problemJson);
  // Before every route, so each one is timed.
  await app.register(metrics, { metrics: serviceMetrics });
  await app.register(helmet, {
    // APIs answer JSON; the docs UI sets its own policy (staticCSP).
    contentSecurityPolicy: {
      directives: options.contentSecurityPolicy ?? {
        defaultSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    // After onRequest (authentication), so a known client is limited by its own key.
    hook: 'preValidation',
    keyGenerator: (request) => request.rateLimitKey ?? `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) =>
      errors.rateLimited(`Rate limit exceeded; retry after ${Math.ceil(context.ttl / 1000)} s.`),
  });
  if (options.docs !== false) {
    await app.register(openapi, {
      errors: options.errors ?? sharedErrors,
      title: `Tongban ${options.name} API`,
      version: options.version,
      description: options.description,
    });
  }
  await app.register(health, { readiness: options.readiness });

  const { database, idempotencyTable } = options;
  if (idempotencyTable) {
    if (!database) throw new Error('createService: idempotencyTable needs database');
    jobs.register({
      name: 'idempotency-key-sweep',
      intervalMs: IDEMPOTENCY_SWEEP_INTERVAL_MS,
      run: async ({ now, signal }) => {
        let deleted = 0;
        for (;;) {
          const batch = await deleteExpiredIdempotencyKeys({
            db: database.db,
            table: idempotencyTable,
            now,
            limit: SWEEP_BATCH,
          });
          deleted += batch;
          if (batch < SWEEP_BATCH || signal.aborted) return deleted;
        }
      },
    });
  }
  return app;
}

/**
 * A route is closed unless it says otherwise: one that declares neither an auth rule nor
 * `public: true` fails while registering, so forgetting `config.auth` cannot publish data. The
 * kit cannot see auth's rule type, only that one is there; @tongban/auth enforces it.
 */
function closeRoutesByDefault(app: ServiceInstance, catalogue: ErrorCatalogue): void {
  const publicRoutes: string[] = [];
  app.decorate('publicRoutes', {
    getter: () => [...new Set(publicRoutes)].sort(),
  });
  app.addHook('onRoute', function checkRouteAccess(route) {
    const methods = [route.method].flat().join(',');
    const inPublicScope = (this as unknown as Record<symbol, unknown>)[PUBLIC_SCOPE] === true;
    if (isKitRoute(route.url)) {
      route.config = { ...route.config, public: true };
      return;
    }
    if (inPublicScope) route.config = { ...route.config, public: true };
    const config = route.config ?? {};
    const where = `${methods} ${route.url}`;
    // Read without auth's types: the kit must not depend on @tongban/auth.
    const auth = (config as { auth?: unknown }).auth;
    if (auth !== undefined && config.public === true) {
      throw new Error(`Route ${where} declares both config.auth and config.public; choose one.`);
    }
    if (auth === undefined && config.public !== true) {
      throw new Error(
        `Route ${where} declares neither config.auth nor config.public: true. Routes are closed by default: add an auth rule, or mark it public on purpose.`,
      );
    }
    for (const code of config.errors ?? []) {
      if (!catalogue.has(code)) {
        throw new Error(
          `Route ${where} lists error code ${code}, which is not in the ${catalogue.owner} catalogue.`,
        );
      }
    }
    // HEAD answers like GET (Fastify adds it to every GET route); listing both adds nothing.
    const listed = [route.method]
      .flat()
      .filter((m) => m !== 'HEAD')
      .sort();
    if (config.public === true && listed.length > 0) {
      publicRoutes.push(`${listed.join(',')} ${route.url}`);
    }
  });
}
