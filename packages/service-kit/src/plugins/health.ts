import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { errors } from '../errors.js';

export interface HealthOptions {
  /** Resolves when the service can do its work (database reachable, schema migrated); throws otherwise. */
  readonly readiness: () => Promise<unknown>;
}

const Status = Type.Object({ status: Type.Literal('ok') });

/** /healthz: the process answers. /readyz: it can serve traffic; a load balancer routes on this. */
export const health = fp<HealthOptions>(
  async (app: FastifyInstance, options) => {
    const config = { rateLimit: false, public: true } as const;
    app.get(
      '/healthz',
      {
        config,
        schema: { tags: ['health'], summary: 'Process is alive', response: { 200: Status } },
      },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config,
        schema: {
          tags: ['health'],
          summary: 'Database reachable and migrated',
          response: { 200: Status },
        },
      },
      async (request) => {
        try {
          await options.readiness();
        } catch (err) {
          request.log.warn({ err }, 'not ready');
          throw errors.notReady('The service cannot serve requests yet.');
        }
        return { status: 'ok' as const };
      },
    );
  },
  { name: 'tongban-health' },
);
