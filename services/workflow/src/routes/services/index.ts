import type { Db } from '@tongban/db';
import { ListQuery, type ServiceInstance } from '@tongban/service-kit';
import { getService } from '../../domain/services/get-service.js';
import { listServices } from '../../domain/services/list-services.js';
import { Service, ServiceList, ServiceParams, ServiceQuery } from './schemas.js';

export function serviceRoutes(app: ServiceInstance, deps: { db: Db; clock: () => Date }) {
  app.get(
    '/v1/services',
    {
      // The service catalogue is what a resident browses before signing in.
      config: { public: true },
      schema: {
        tags: ['services'],
        summary: 'The service catalogue: the newest version of each service',
        querystring: ListQuery,
        response: { 200: ServiceList },
      },
    },
    (request) =>
      listServices({
        ctx: { db: deps.db, actor: request.actor, requestId: request.id, clock: deps.clock },
        input: request.query,
      }),
  );

  app.get(
    '/v1/services/:code',
    {
      // Public like the list: what a service asks and who does what is public information.
      config: { public: true },
      schema: {
        tags: ['services'],
        summary: 'One service: its newest version, or an older one with ?version=',
        params: ServiceParams,
        querystring: ServiceQuery,
        response: { 200: Service },
      },
    },
    (request) =>
      getService({
        ctx: { db: deps.db, actor: request.actor, requestId: request.id, clock: deps.clock },
        input: { code: request.params.code, version: request.query.version },
      }),
  );
}
