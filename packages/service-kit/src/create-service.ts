import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { BaseConfig } from './config.js';
import { errors } from './errors.js';
import { loggerOptions } from './logger.js';
import { health } from './plugins/health.js';
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
  interface FastifyRequest {
    /** Set by authentication so limits apply per client or account rather than per address. */
    rateLimitKey?: string;
  }
}

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

  app.setValidatorCompiler(schemaCompilers());
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  await app.register(problemJson);
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
      title: `Tongban ${options.name} API`,
      version: options.version,
      description: options.description,
    });
  }
  await app.register(health, { readiness: options.readiness });
  return app;
}
