import proxy from '@fastify/http-proxy';
import { errors, type ServiceInstance } from '@tongban/service-kit';
import type { PortalConfig } from '../../config.js';
import { reachesInternalRoute } from './internal-paths.js';

/**
 * /api/<service>/* reaches the service unchanged: the browser talks to one origin, and each
 * service still authenticates and authorizes every request itself. The services' internal
 * routes (/metrics) are not reachable this way, under any spelling of the path.
 */
export async function gatewayRoutes(
  app: ServiceInstance,
  { upstreams }: Pick<PortalConfig, 'upstreams'>,
) {
  await app.register(async (gateway) => {
    gateway.addHook('onRequest', async (request) => {
      if (reachesInternalRoute(request.url)) throw errors.notFound('No such resource.');
    });
    await forwardTo(gateway, upstreams);
  });
}

async function forwardTo(gateway: ServiceInstance, upstreams: PortalConfig['upstreams']) {
  for (const [name, upstream] of Object.entries(upstreams)) {
    await gateway.register(proxy, {
      upstream,
      prefix: `/api/${name}`,
      rewritePrefix: '',
      http: { requestOptions: { timeout: 30_000 } },
      replyOptions: {
        // An unreachable service is the gateway's 502 problem, not a hang or an HTML page.
        onError: (reply, { error }) => {
          reply.log.warn({ err: error, upstream: name }, 'upstream failed');
          void reply
            .code(502)
            .type('application/problem+json; charset=utf-8')
            .send(
              JSON.stringify({
                type: 'urn:tongban:problem:upstream_unavailable',
                title: 'Bad gateway',
                status: 502,
                detail: `The ${name} service is not reachable.`,
                code: 'upstream_unavailable',
                requestId: reply.request.id,
              }),
            );
        },
      },
    });
  }
}
