import { Writable } from 'node:stream';
import { Type } from 'typebox';
import { createService, type ServiceInstance } from '../src/index.js';

export const testConfig = {
  logLevel: 'silent',
  bodyLimit: 4096,
  rateLimit: { max: 1000, windowMs: 60_000 },
  trustProxy: false,
} as const;

/** A service with routes that exercise each failure path of the kit. */
export async function buildKitApp(
  overrides: {
    readiness?: () => Promise<unknown>;
    rateLimitMax?: number;
    logStream?: { write(line: string): void };
    logLevel?: 'error' | 'silent';
  } = {},
): Promise<ServiceInstance> {
  const app = await createService({
    name: 'kit-test',
    version: '0.0.0',
    description: 'service kit under test',
    readiness: overrides.readiness ?? (async () => {}),
    ...(overrides.logStream ? { logStream: overrides.logStream } : {}),
    config: {
      ...testConfig,
      logLevel: overrides.logLevel ?? testConfig.logLevel,
      rateLimit: { max: overrides.rateLimitMax ?? 1000, windowMs: 60_000 },
    },
  });
  app.post(
    '/v1/things',
    {
      config: { public: true },
      schema: {
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 50 }),
            count: Type.Integer({ minimum: 0 }),
            tags: Type.Optional(Type.Array(Type.String(), { maxItems: 5 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ name: Type.String(), count: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      reply.code(201);
      return { name: request.body.name, count: request.body.count, secret: 'never serialized' };
    },
  );
  app.get('/v1/boom', { config: { public: true } }, async () => {
    throw new Error(
      'duplicate key value violates unique constraint "residents_pkey" at /srv/app.ts:12',
    );
  });
  return app;
}

/** Collects log lines written by pino. */
export function logSink(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}
