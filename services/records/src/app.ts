import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import type { RecordsConfig } from './config.js';
import { recordTypeRoutes } from './routes/record-types/index.js';

export interface RecordsDeps {
  readonly config: RecordsConfig;
  readonly database: Database;
}

/** Builds the records service; no listening, no environment: the caller decides both. */
export async function buildApp({ config, database }: RecordsDeps): Promise<ServiceInstance> {
  const app = await createService({
    name: 'records',
    version: '1.0.0',
    description:
      'Record types, certified records, consent, access policy, the tamper-evident access log and subscriptions.',
    readiness: () => database.checkReady(),
    config,
  });
  recordTypeRoutes(app, { db: database.db });
  return app;
}
