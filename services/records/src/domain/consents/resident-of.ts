import type { Actor, ResidentActor } from '@tongban/auth';
import { errors } from '@tongban/service-kit';

/** Consents are the resident's own: the routes admit residents only, and the verbs check again. */
export function residentOf(actor: Actor): ResidentActor {
  if (actor.kind !== 'resident')
    throw errors.forbidden('Only the resident manages their consents.');
  return actor;
}
