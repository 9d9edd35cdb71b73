import { accessTokenAuth, identityKeyResolver, type KeyResolver } from '@tongban/auth';
import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import type { RecordsConfig } from './config.js';
import { recordsErrors } from './errors.js';
import { recordTypeRoutes } from './routes/record-types/index.js';

export interface RecordsDeps {
  readonly config: RecordsConfig;
  readonly database: Database;
  readonly clock?: () => Date;
  /** Identity's keys; by default fetched from `config.identityUrl` and cached. */
  readonly keyResolver?: KeyResolver;
}

/** Builds the records service; no listening, no environment: the caller decides both. */
export async function buildApp(deps: RecordsDeps): Promise<ServiceInstance> {
  const { config, database } = deps;
  const clock = deps.clock ?? (() => new Date());
  const app = await createService({
    name: 'records',
    version: '1.0.0',
    description:
      'Record types, certified records, consent, access policy, the tamper-evident access log and subscriptions.',
    readiness: () => database.checkReady(),
    config,
    errors: recordsErrors,
  });
  await app.register(accessTokenAuth, {
    resolver: deps.keyResolver ?? identityKeyResolver(config.identityUrl),
    issuer: config.issuer,
    audience: config.audience,
    now: clock,
  });
  recordTypeRoutes(app, { db: database.db, clock });
  return app;
}
