import { runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { demoMasterKey } from './demo-master-key.js';

await runService({
  service: 'identity',
  loadConfig,
  build: async ({ config, database, dataRoot }) =>
    buildApp({ config, database, masterKey: config.masterKey ?? (await demoMasterKey(dataRoot)) }),
});
