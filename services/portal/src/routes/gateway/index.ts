import proxy from '@fastify/http-proxy';
import { errors, type ServiceInstance, sendProblem } from '@tongban/service-kit';
import type { PortalConfig } from '../../config.js';
import { problem } from '../../errors.js';
import { reachesInternalRoute } from './internal-paths.js';
import { locationThroughGateway } from './location.js';

/**
 * /api/<service>/* reaches the service unchanged: the browser talks to one origin, and each
 * service still authenticates and authorizes every request itself. The services' internal
 * routes (/metrics) are not reachable this way, under any spelling of the path. A service's
 * redirects keep pointing into the service (see locationThroughGateway), so its API docs work
 * here as they do on its own port.
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
      // The proxy's own Location rewrite prepends the prefix to any Location, relative ones too
      // (`docs/` became `/api/identitydocs/`); locationThroughGateway keeps those as they are.
      internalRewriteLocationHeader: false,
      // The gateway itself is open; each service authenticates and authorizes what it serves.
      config: { public: true },
      http: { requestOptions: { timeout: 30_000 } },
      replyOptions: {
        rewriteHeaders: (headers) =>
          typeof headers.location === 'string'
            ? { ...headers, location: locationThroughGateway(headers.location, `/api/${name}`) }
            : headers,
        // An unreachable service is the gateway's 502 problem, not a hang or an HTML page.
        onError: (reply, { error }) => {
          reply.log.warn({ err: error, upstream: name }, 'upstream failed');
          void sendProblem(
            reply.request,
            reply,
            problem('upstream_unavailable', `The ${name} service is not reachable.`),
          );
        },
      },
    });
  }
}
