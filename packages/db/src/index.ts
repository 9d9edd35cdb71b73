export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from './embedded/embedded-postgres.js';
export {
  startWireServer,
  type WireServer,
  type WireServerOptions,
} from './embedded/wire-server.js';
export { dataRootFromEnv, migrationsFolderFor } from './locations.js';
export { type MigrationReport, migrationStatus, runMigrations } from './migrate.js';
export {
  type Database,
  type DatabaseOptions,
  type DatabaseStats,
  type Db,
  type Engine,
  openDatabase,
} from './open-database.js';
export { type DatabaseTarget, databaseTargetFromEnv } from './target.js';
