export { createDatabase } from './database.js';
export {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  isSerializationFailure,
  isUniqueViolation,
  sqlState,
  TransactionAbortedError,
} from './errors.js';
export type {
  AppliedMigration,
  MigrateOptions,
  Migration,
  MigrationErrorCode,
  MigrationSource,
} from './migrations.js';
export { checksumOf, loadMigrations, MigrationError, migrate } from './migrations.js';
export type { Database, DatabaseOptions, Queryable, QueryResult } from './types.js';
