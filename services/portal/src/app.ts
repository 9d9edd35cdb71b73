import { fileURLToPath } from 'node:url';
import type { Database } from '@tongban/db';
import { createService, type ServiceInstance } from '@tongban/service-kit';
import type { PortalConfig } from './config.js';
import { portalErrors } from './errors.js';
import { gatewayRoutes } from './routes/gateway/index.js';
import { pageRoutes } from './routes/pages/index.js';

export interface PortalDeps {
  readonly config: PortalConfig;
  readonly database: Database;
  /** The built front end (index.html and assets/); by default this package's dist/. */
  readonly webRoot?: string;
}

const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../dist', import.meta.url));

/** Builds the portal: the pages and the browser gateway to the services. */
export async function buildApp({
  config,
  database,
  webRoot = DEFAULT_WEB_ROOT,
}: PortalDeps): Promise<ServiceInstance> {
  const app = await createService({
    name: 'portal',
    version: '1.0.0',
    description: 'The web pages and the browser gateway.',
    readiness: () => database.checkReady(),
    config,
    database,
    errors: portalErrors,
    docs: false,
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      connectSrc: ["'self'"],
      mediaSrc: ["'self'", 'blob:'],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'"],
    },
  });
  await gatewayRoutes(app, config);
  await pageRoutes(app, webRoot);
  return app;
}
