import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveMasterKey } from '@tongban/keys';
import { ConfigError, runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const migrationsFolder = fileURLToPath(new URL('../../../migrations/workflow', import.meta.url));

try {
  const config = loadConfig(process.env, process.cwd());
  // Outside production a missing master key is generated once beside the demo data;
  // loadConfig already refused to start production without one.
  const masterKey = await resolveMasterKey({
    service: 'workflow',
    variable: 'WORKFLOW_MASTER_KEY',
    configured: config.masterKey,
    env: config.env,
    dataDir: resolve(process.cwd(), process.env.TONGBAN_DATA_DIR || '.data'),
    notice: (line) => process.stderr.write(`${line}\n`),
  });
  await runService({
    config,
    migrationsFolder,
    build: (database) => buildApp({ config, database, masterKey }),
  });
} catch (err) {
  process.stderr.write(
    `workflow: ${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`,
  );
  process.exit(1);
}
