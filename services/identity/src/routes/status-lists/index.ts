import type { ServiceInstance } from '@tongban/service-kit';
import { Type } from 'typebox';
import type { IdentityContext } from '../../domain/context.js';
import { getStatusList } from '../../domain/status-lists/publish-status-list.js';
import { requestContext } from '../context.js';

export function statusListRoutes(app: ServiceInstance, ctx: IdentityContext) {
  app.get(
    '/v1/status-lists/:id',
    {
      // Offline counters fetch revocation lists anonymously; they carry no personal data.
      config: { public: true },
      schema: {
        tags: ['status-lists'],
        summary: 'A signed Token Status List (statuslist+jwt, 2 bits: valid, revoked, suspended)',
        params: Type.Object({ id: Type.Integer({ minimum: 0, maximum: 1_000_000 }) }),
      },
    },
    async (request, reply) => {
      const token = await getStatusList({
        ctx: requestContext(request, ctx, { anonymous: true }),
        input: { listNumber: request.params.id },
      });
      // Short public caching: offline counters refresh within minutes, online checks never wait on it.
      return reply
        .header('cache-control', 'public, max-age=60')
        .type('application/statuslist+jwt')
        .send(token);
    },
  );
}
