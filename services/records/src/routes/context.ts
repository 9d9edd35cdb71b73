import { type Actor, requireActor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import type { RequestContext } from '@tongban/service-kit';
import type { FastifyRequest } from 'fastify';

/** What records' verbs may use; built once in buildApp and passed to the routes. */
export interface RecordsDeps {
  readonly db: Db;
  readonly clock: () => Date;
}

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
  deps: RecordsDeps,
  options: ContextOptions & { readonly anonymous: true },
): RequestContext<Actor | undefined>;
export function requestContext(
  request: FastifyRequest,
  deps: RecordsDeps,
  options?: ContextOptions,
): RequestContext<Actor>;
export function requestContext(
  request: FastifyRequest,
  deps: RecordsDeps,
  options: ContextOptions = {},
): RequestContext<Actor | undefined> {
  return {
    db: options.db ?? deps.db,
    actor: options.anonymous ? request.actor : requireActor(request),
    requestId: request.id,
    clock: deps.clock,
  };
}
