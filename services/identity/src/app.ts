import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import type { IdentityConfig } from './config.js';
import { departmentRoutes } from './routes/departments/index.js';

export interface IdentityDeps {
  readonly config: IdentityConfig;
  readonly database: Database;
}

/** Builds the identity service; no listening, no environment: the caller decides both. */
export async function buildApp({ config, database }: IdentityDeps): Promise<ServiceInstance> {
  const app = await createService({
    name: 'identity',
    version: '1.0.0',
    description:
      'Residents, devices, credentials, presentation QR and its verification, keys, revocation, staff and client authentication.',
    readiness: () => database.checkReady(),
    config,
  });
  departmentRoutes(app, { db: database.db });
  return app;
}
