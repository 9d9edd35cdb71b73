import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { publicScope, type ServiceInstance } from '@tongban/service-kit';

const publicDir = fileURLToPath(new URL('../../../public', import.meta.url));

/** The pages are static files; everything they show comes through the gateway under /api. */
export async function pageRoutes(app: ServiceInstance) {
  // Every page is a static file anyone may load; @fastify/static takes no route config.
  await app.register(
    publicScope(async (pages) => {
      await pages.register(fastifyStatic, {
        root: publicDir,
        prefix: '/',
        index: ['index.html'],
        cacheControl: true,
        maxAge: '5m',
      });
    }),
  );
}
