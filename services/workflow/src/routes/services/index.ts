import type { Db } from '@tongban/db';
import { ListQuery, type ServiceInstance } from '@tongban/service-kit';
import { listServices } from '../../domain/services/list-services.js';
import { ServiceList } from './schemas.js';

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
}
