import type { ServiceInstance } from '@tongban/service-kit';
import { proofRequestOf } from '../domain/auth/device-proof.js';
import { type ResidentDevice, verifyResidentRequest } from '../domain/auth/resident-request.js';
import type { IdentityContext } from '../domain/context.js';
import { requestContext } from './context.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route a resident token can reach (`METHOD url`), for review and for the proof test. */
    readonly residentRoutes: readonly string[];
  }
  interface FastifyRequest {
    /** The resident's active device, proven by this request's DPoP proof; set for resident callers. */
    residentDevice: ResidentDevice | undefined;
  }
}

/** What a route that admits residents declares; the proof check itself is not the route's to make. */
export const RESIDENT_ERRORS = ['invalid_dpop_proof'] as const;

/**
 * The one place every request made with a resident token passes through, whichever route it
 * reaches: it runs after authentication (which decides that the caller is a resident allowed on
 * the route) and before the body is read. A route cannot opt out, so a new resident route cannot
 * forget the proof.
 */
export function requireResidentProof(app: ServiceInstance, ctx: IdentityContext): void {
  const routes: string[] = [];
  app.decorate('residentRoutes', { getter: () => [...new Set(routes)].sort() });
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    // No `kinds` admits every kind, residents included.
    if (auth === undefined || (auth.kinds !== undefined && !auth.kinds.includes('resident')))
      return;
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    }
  });
  app.decorateRequest('residentDevice', undefined);
  app.addHook('onRequest', async (request) => {
    if (request.actor?.kind !== 'resident') return;
    const accessToken = (request.headers.authorization ?? '').replace(/^\S+\s+/, '');
    request.residentDevice = await verifyResidentRequest({
      ctx: requestContext(request, ctx),
      input: { request: proofRequestOf(request), accessToken },
    });
  });
}

/** The device proven by the hook above; a resident route that reaches its handler has one. */
export function residentDeviceOf(request: { residentDevice: ResidentDevice | undefined }) {
  if (request.residentDevice === undefined) throw new Error('resident proof hook did not run');
  return request.residentDevice;
}
