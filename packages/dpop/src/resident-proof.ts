import type { ResidentActor } from '@tongban/auth';
import type { Db } from '@tongban/db';
import type { ServiceInstance } from '@tongban/service-kit';
import type { FastifyRequest } from 'fastify';
import { invalidProof } from './errors.js';
import type { DpopProofsTable } from './table.js';
import { proofRequestOf, type VerifiedProof, verifyDpopProof } from './verify-proof.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route a resident token can reach (`METHOD url`), for review and for the proof tests. */
    readonly residentRoutes: readonly string[];
  }
}

/** What a route that admits residents declares; the proof check itself is not the route's to make. */
export const RESIDENT_ERRORS = ['invalid_dpop_proof'] as const;

/** What the device check receives: the request, its resident and the proof that passed. */
export interface ProvenResidentRequest {
  readonly request: FastifyRequest;
  readonly actor: ResidentActor;
  readonly proof: VerifiedProof;
}

export interface ResidentProofOptions {
  /** The service's database and its proof-id table (`dpopProofsTable(schema)`). */
  readonly db: Db;
  readonly table: DpopProofsTable;
  /** Base URLs under which clients reach the service (its own and the portal gateway's). */
  readonly publicUrls: readonly string[];
  /** The service clock: the same one its tokens are checked against. */
  readonly clock: () => Date;
  /**
   * Runs after the proof passed: refuses (throws) when the device behind the key is no longer
   * active, and may keep what it found on the request. Only the service that holds the devices
   * (identity) can answer; elsewhere a revoked device's token dies when it expires.
   */
  readonly checkDevice?: (proven: ProvenResidentRequest) => Promise<void>;
}

/**
 * The one place every request made with a resident token passes through, whichever route it
 * reaches (RFC 9449 §7.1): a fresh, single-use proof for this method and URL, bound to this token
 * (`ath`) and signed by the key the token is bound to (`cnf.jkt`). Call it once per service,
 * after `accessTokenAuth` (which decides that the caller is a resident allowed on the route and
 * refuses a bound token sent as a bearer token) and before any route is added. It runs before
 * the body is read, and a route cannot opt out, so a new resident route cannot forget the proof.
 */
export function requireResidentProof(app: ServiceInstance, options: ResidentProofOptions): void {
  if (!app.hasRequestDecorator('actor')) {
    throw new Error('requireResidentProof: register accessTokenAuth first');
  }
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
  app.addHook('onRequest', async (request) => {
    const actor = request.actor;
    if (actor?.kind !== 'resident') return;
    if (actor.dpopKeyThumbprint === undefined) {
      throw invalidProof('A resident token must be bound to a device key.');
    }
    const accessToken = (request.headers.authorization ?? '').replace(/^\S+\s+/, '');
    const proof = await verifyDpopProof(options.db, options.table, {
      ...proofRequestOf(request),
      publicUrls: options.publicUrls,
      now: options.clock(),
      accessToken,
      jkt: actor.dpopKeyThumbprint,
    });
    await options.checkDevice?.({ request, actor, proof });
  });
}
