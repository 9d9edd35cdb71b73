import type { Db } from '@tongban/db';

/**
 * What every domain verb receives: where to read and write (the database, or the transaction the
 * request already runs in), who is acting, which request this is, and the service's clock. The
 * actor type is the service's own (service-kit cannot depend on the auth package).
 */
export interface RequestContext<TActor = unknown> {
  readonly db: Db;
  readonly actor: TActor;
  readonly requestId: string;
  readonly clock: () => Date;
}

/** The part of an actor an event records: enough to say who did it, never a token. */
export interface ActorRef {
  readonly kind: string;
  readonly subject: string;
  readonly department?: string | undefined;
}
