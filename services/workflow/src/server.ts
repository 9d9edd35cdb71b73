import { serviceMasterKey } from '@tongban/keys';
import { runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

await runService({
  service: 'workflow',
  loadConfig,
  build: async ({ config, database, dataRoot }) =>
    buildApp({
      config,
      database,
      masterKey: await serviceMasterKey({ service: 'workflow', config, dataRoot }),
      catalogueDir: config.catalogueDir,
    }),
});
