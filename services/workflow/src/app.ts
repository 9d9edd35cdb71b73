import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import type { WorkflowConfig } from './config.js';
import { workflowErrors } from './errors.js';
import { serviceRoutes } from './routes/services/index.js';

export interface WorkflowDeps {
  readonly config: WorkflowConfig;
  readonly database: Database;
}

/** Builds the workflow service; no listening, no environment: the caller decides both. */
export async function buildApp({ config, database }: WorkflowDeps): Promise<ServiceInstance> {
  const app = await createService({
    name: 'workflow',
    version: '1.0.0',
    description:
      'Service catalogue (versioned definitions), cases, department tasks, SLA clock and case receipts.',
    readiness: () => database.checkReady(),
    config,
    errors: workflowErrors,
  });
  serviceRoutes(app, { db: database.db });
  return app;
}
