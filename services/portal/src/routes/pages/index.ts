import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { ServiceInstance } from '@tongban/service-kit';

const publicDir = fileURLToPath(new URL('../../../public', import.meta.url));

/** The pages are static files; everything they show comes through the gateway under /api. */
export async function pageRoutes(app: ServiceInstance) {
  await app.register(fastifyStatic, {
    root: publicDir,
    prefix: '/',
    index: ['index.html'],
    cacheControl: true,
    maxAge: '5m',
  });
}
