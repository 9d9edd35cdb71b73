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
