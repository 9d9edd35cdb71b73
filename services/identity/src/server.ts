import { fileURLToPath } from 'node:url';
import { ConfigError, runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const migrationsFolder = fileURLToPath(new URL('../../../migrations/identity', import.meta.url));

try {
  const config = loadConfig(process.env, process.cwd());
  await runService({
    config,
    migrationsFolder,
    build: (database) => buildApp({ config, database }),
  });
} catch (err) {
  process.stderr.write(
    `identity: ${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`,
  );
  process.exit(1);
}
