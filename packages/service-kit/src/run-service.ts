import { type Database, openDatabase } from '@tongban/db';
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import type { BaseConfig } from './config.js';
import type { ServiceInstance } from './create-service.js';
import { loggerOptions } from './logger.js';

export interface RunServiceOptions {
  readonly config: BaseConfig;
  readonly migrationsFolder: string;
  readonly build: (database: Database) => Promise<ServiceInstance>;
}

/**
 * The whole of a service's process life: open the database, migrate, build, listen, and on
 * SIGTERM/SIGINT stop accepting connections, let in-flight requests finish, close the database
 * and exit 0. A second signal or the grace period running out exits 1.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { config } = options;
  const log = pino(loggerOptions(config.service, config.logLevel));
  const database = await openDatabase({
    service: config.service,
    target: config.database,
    migrationsFolder: options.migrationsFolder,
    poolMax: config.dbPoolMax,
    onPoolError: (err) => log.warn({ err }, 'database connection lost; the pool will reconnect'),
  });
  const report = await database.migrate();
  log.info(
    { engine: database.engine, applied: report.applied.length, ranNow: report.ranNow.length },
    'database ready',
  );

  const app = await options.build(database);
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
