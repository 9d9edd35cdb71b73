import { requireResidentProof } from '@tongban/dpop';
import type { ServiceInstance } from '@tongban/service-kit';
import { proofJtis } from '../db/schema.js';
import { activeResidentDevice, type ResidentDevice } from '../domain/auth/resident-request.js';
import type { IdentityContext } from '../domain/context.js';

export { RESIDENT_ERRORS } from '@tongban/dpop';

declare module 'fastify' {
  interface FastifyRequest {
    /** The resident's active device, proven by this request's DPoP proof; set for resident callers. */
    residentDevice: ResidentDevice | undefined;
  }
}

/**
 * Every request made with a resident token passes the shared proof hook (@tongban/dpop), and at
 * identity also the device check: identity holds the devices, so a revoked device's token is
 * refused at once here, whatever the proof.
 */
export function installResidentProof(app: ServiceInstance, ctx: IdentityContext): void {
  app.decorateRequest('residentDevice', undefined);
  requireResidentProof(app, {
    db: ctx.db,
    table: proofJtis,
    publicUrls: ctx.config.publicUrls,
    clock: ctx.clock,
    checkDevice: async ({ request, actor, proof }) => {
      request.residentDevice = await activeResidentDevice(ctx.db, {
        subject: actor.subject,
        jkt: proof.jkt,
      });
    },
  });
}

/** The device proven by the hook above; a resident route that reaches its handler has one. */
export function residentDeviceOf(request: { residentDevice: ResidentDevice | undefined }) {
  if (request.residentDevice === undefined) throw new Error('resident proof hook did not run');
  return request.residentDevice;
}
