import { serviceMasterKey } from '@tongban/keys';
import { runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

await runService({
  service: 'identity',
  loadConfig,
  build: async ({ config, database, dataRoot }) =>
    buildApp({
      config,
      database,
      masterKey: await serviceMasterKey({ service: 'identity', config, dataRoot }),
    }),
});
