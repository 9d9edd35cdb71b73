import { requireActor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import type { RequestContext } from '@tongban/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Actor, IdentityContext } from '../domain/context.js';

interface ContextOptions {
  /** The Idempotency-Key transaction, so the verb's change joins it. */
  readonly db?: Db | undefined;
  /** For public routes: the caller may be anonymous. */
  readonly anonymous?: boolean;
}

/**
 * The context a verb receives for this request: the service's dependencies, the caller, the
 * request id and the service clock. Authenticated routes get a defined actor (401 otherwise).
 */
export function requestContext(
  request: FastifyRequest,
  deps: IdentityContext,
  options: ContextOptions & { readonly anonymous: true },
): IdentityContext & RequestContext<Actor | undefined>;
export function requestContext(
  request: FastifyRequest,
  deps: IdentityContext,
  options?: ContextOptions,
): IdentityContext & RequestContext<Actor>;
export function requestContext(
  request: FastifyRequest,
  deps: IdentityContext,
  options: ContextOptions = {},
): IdentityContext & RequestContext<Actor | undefined> {
  return {
    ...deps,
    db: options.db ?? deps.db,
    actor: options.anonymous ? request.actor : requireActor(request),
    requestId: request.id,
    clock: deps.clock,
  };
}
