import { runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

await runService({
  service: 'portal',
  loadConfig,
  build: ({ config, database }) => buildApp({ config, database }),
});
