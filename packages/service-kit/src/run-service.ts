import { type Database, dataRootFromEnv, migrationsFolderFor, openDatabase } from '@tongban/db';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { type BaseConfig, ConfigError } from './config.js';
import type { ServiceInstance } from './create-service.js';
import { loggerOptions } from './logger.js';

type Env = Readonly<Record<string, string | undefined>>;

/** What a service's build hook receives: its parsed configuration and its open, migrated database. */
export interface ServiceDeps<C extends BaseConfig> {
  readonly config: C;
  readonly database: Database;
  /** The folder for embedded data and demo secrets (`TONGBAN_DATA_DIR`, default `.data`). */
  readonly dataRoot: string;
}

export interface RunServiceOptions<C extends BaseConfig> {
  /** Names the process in messages and finds `migrations/<service>`. */
  readonly service: string;
  readonly loadConfig: (env: Env, cwd: string) => C;
  readonly build: (deps: ServiceDeps<C>) => Promise<ServiceInstance>;
  /** Only for a service whose migrations live outside the repository's `migrations/` folder. */
  readonly migrationsFolder?: string;
  readonly env?: Env;
  readonly cwd?: string;
}

/**
 * The whole of a service's process life: read the configuration, open the database, migrate,
 * build, listen, and on SIGTERM/SIGINT stop accepting connections, let in-flight requests
 * finish, close the database and exit 0. A second signal or the grace period running out exits
 * 1. Anything that stops the start (bad configuration, unreachable database, a failing
 * migration, a taken port) is printed as one line naming the service, and the process exits 1:
 * a configuration error is printed without a stack, since the operator, not the code, must act.
 */
export async function runService<C extends BaseConfig>(
  options: RunServiceOptions<C>,
): Promise<void> {
  try {
    await start(options);
  } catch (err) {
    const detail = err instanceof ConfigError ? err.message : String((err as Error)?.stack ?? err);
    process.stderr.write(`${options.service}: ${detail}\n`);
    process.exit(1);
  }
}

async function start<C extends BaseConfig>(options: RunServiceOptions<C>): Promise<void> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const config = options.loadConfig(env, cwd);
  const log = pino(loggerOptions(config.service, config.logLevel));
  const database = await openDatabase({
    service: config.service,
    target: config.database,
    migrationsFolder: options.migrationsFolder ?? migrationsFolderFor(options.service),
    poolMax: config.dbPoolMax,
    onPoolError: (err) => log.warn({ err }, 'database connection lost; the pool will reconnect'),
  });
  let app: ServiceInstance;
  try {
    const report = await database.migrate();
    log.info(
      { engine: database.engine, applied: report.applied.length, ranNow: report.ranNow.length },
      'database ready',
    );
    app = await options.build({ config, database, dataRoot: dataRootFromEnv(env, cwd) });
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  app.addHook('onClose', async () => {
    await database.close();
  });

  closeWithGrace(
    { delay: config.shutdownGraceMs, logger: { error: (m: unknown) => log.error(m) } },
    async ({ signal, err }) => {
      if (err) log.error({ err }, 'fatal error; shutting down');
      else log.info({ signal }, 'shutting down: finishing in-flight requests');
      await app.close();
      log.info('stopped');
    },
  );

  const address = await app.listen({ host: config.host, port: config.port });
  log.info({ address }, `${config.service} listening on ${address}`);
}
