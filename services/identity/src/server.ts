import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, runService } from '@tongban/service-kit';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';

const migrationsFolder = fileURLToPath(new URL('../../../migrations/identity', import.meta.url));

/**
 * Outside production, a missing master key is generated once and kept beside the demo data, and
 * the operator is told so. loadConfig already refused to start production without one.
 */
async function demoMasterKey(dataRoot: string): Promise<Buffer> {
  const file = join(dataRoot, 'secrets', 'identity-master.key');
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
  } catch {
    await mkdir(join(dataRoot, 'secrets'), { recursive: true, mode: 0o700 });
    const key = randomBytes(32);
    await writeFile(file, key.toString('base64url'), { mode: 0o600, flag: 'wx' }).catch(
      async () => {
        // Another process wrote it first: use theirs.
      },
    );
    const stored = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64url');
    process.stderr.write(
      `identity: no IDENTITY_MASTER_KEY set; generated a demo master key in ${file}. Production refuses to start without one.\n`,
    );
    return stored;
  }
}

try {
  const config = loadConfig(process.env, process.cwd());
  const masterKey =
    config.masterKey ??
    (await demoMasterKey(resolve(process.cwd(), process.env.TONGBAN_DATA_DIR || '.data')));
  await runService({
    config,
    migrationsFolder,
    build: (database) => buildApp({ config, database, masterKey }),
  });
} catch (err) {
  process.stderr.write(
    `identity: ${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`,
  );
  process.exit(1);
}
