import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scriptRunnerOf } from './internal.js';
import type { Database } from './types.js';

/** One migration: applied in `id` order, once, in its own transaction. */
export interface Migration {
  /** 1, 2, 3… with no gaps or duplicates. */
  id: number;
  /** Letters, digits, `_` or `-`; from the file name `NNNN_<name>.sql`. */
  name: string;
  /** One or more SQL statements. Must not need to run outside a transaction (no `CREATE INDEX CONCURRENTLY`). */
  sql: string;
}

/** A migration recorded in `schema_migrations`. */
export interface AppliedMigration {
  id: number;
  name: string;
  /** Lower-case hex SHA-256 of the SQL (line endings normalised to `\n`). */
  checksum: string;
}

/** Where `migrate` reads migrations from: a directory of `NNNN_name.sql` files, or a list. */
export type MigrationSource = { directory: string } | { migrations: readonly Migration[] };

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /**
   * Bound, per migration, on waiting for another process's migration lock and on running the
   * migration's SQL, in ms. Replaces the database's shorter statement timeout. Default 60 000.
   */
  timeoutMs?: number;
}

/** Why migrations were refused. Nothing is applied when validation fails. */
export type MigrationErrorCode =
  | 'invalid_file_name'
  | 'invalid_migration'
  | 'duplicate_id'
  | 'missing_id'
  | 'checksum_mismatch'
  | 'name_mismatch'
  | 'unknown_applied'
  | 'inconsistent_history'
  | 'unsupported_database';

/** A migration set or database history that must not be run; the message says what to fix. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  readonly code: MigrationErrorCode;

  constructor(code: MigrationErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const FILE_NAME = /^(\d{4,})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const DEFAULT_TIMEOUT_MS = 60_000;

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id integer PRIMARY KEY CHECK (id > 0),
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * One lock per schema: two processes migrating the same schema queue up; different schemas
 * (e.g. parallel test files) do not block each other. Transaction-scoped, so it is released
 * by COMMIT/ROLLBACK or by the server if the connection dies.
 */
const LOCK = `SELECT pg_advisory_xact_lock(hashtextextended('portcullis.schema_migrations:' || coalesce(current_schema(), ''), 0))`;

function label(migration: { id: number; name: string }): string {
  return `${String(migration.id).padStart(4, '0')}_${migration.name}`;
}

/**
 * SHA-256 (hex) of a migration's SQL, with CRLF normalised to LF so a Windows checkout does
 * not look like an edited migration.
 *
 * @example
 * ```ts
 * checksumOf('CREATE TABLE t (id int);\n'); // '5f…'
 * ```
 */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

interface PlannedMigration extends AppliedMigration {
  sql: string;
}

/** Checks the set (ids 1…n, names, non-empty SQL) and returns it sorted with checksums. */
function plan(migrations: readonly Migration[]): PlannedMigration[] {
  const byId = new Map<number, PlannedMigration>();
  for (const migration of migrations) {
    const { id, name, sql } = migration;
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new MigrationError('invalid_migration', `migration id ${String(id)} is not a positive integer`);
    }
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new MigrationError(
        'invalid_migration',
        `migration ${id} has an invalid name (use letters, digits, '_' and '-')`,
      );
    }
    if (typeof sql !== 'string' || sql.trim() === '') {
      throw new MigrationError('invalid_migration', `migration ${label(migration)} has no SQL`);
    }
    const existing = byId.get(id);
    if (existing !== undefined) {
      throw new MigrationError(
        'duplicate_id',
        `migrations ${label(existing)} and ${label(migration)} share the number ${id}`,
      );
    }
    byId.set(id, { id, name, sql, checksum: checksumOf(sql) });
  }
  const sorted = [...byId.values()].sort((a, b) => a.id - b.id);
  sorted.forEach((migration, index) => {
    if (migration.id !== index + 1) {
      throw new MigrationError(
        'missing_id',
        `migration ${index + 1} is missing: numbers must run 1, 2, 3… without gaps (next found: ${label(migration)})`,
      );
    }
  });
  return sorted;
}

/**
 * Reads `NNNN_name.sql` files from `directory` (other files are ignored; a `.sql` file with any
 * other name is an error, so a typo cannot silently skip a migration) and validates the set.
 *
 * @throws MigrationError for a bad file name, duplicate or missing number, or empty file.
 * @example
 * ```ts
 * const migrations = await loadMigrations(new URL('../migrations', import.meta.url).pathname);
 * ```
 */
export async function loadMigrations(directory: string): Promise<Migration[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const migrations: Migration[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(entry.name);
    if (match === null) {
      throw new MigrationError(
        'invalid_file_name',
        `migration file ${entry.name} does not match NNNN_name.sql (four or more digits, then _ and a name)`,
      );
    }
    const [, digits = '', name = ''] = match;
    migrations.push({ id: Number(digits), name, sql: await readFile(join(directory, entry.name), 'utf8') });
  }
  return plan(migrations).map(({ id, name, sql }) => ({ id, name, sql }));
}

/** Compares the recorded history with the code's migrations; throws on any divergence. */
function verifyHistory(recorded: readonly AppliedMigration[], planned: readonly PlannedMigration[]): void {
  recorded.forEach((row, index) => {
    const expected = planned[row.id - 1];
    if (expected === undefined) {
      throw new MigrationError(
        'unknown_applied',
        `the database has migration ${label(row)} applied, which this code does not have; ` +
          'refusing to run against a schema newer than the code',
      );
    }
    if (row.id !== index + 1) {
      throw new MigrationError(
        'inconsistent_history',
        `schema_migrations has a gap before ${label(row)}; the history was edited by hand`,
      );
    }
    if (row.checksum !== expected.checksum) {
      throw new MigrationError(
        'checksum_mismatch',
        `migration ${label(expected)} was changed after it was applied ` +
          `(checksum ${row.checksum} recorded, ${expected.checksum} now). ` +
          'Applied migrations must never change: restore the file and add a new migration instead.',
      );
    }
    if (row.name !== expected.name) {
      throw new MigrationError(
        'name_mismatch',
        `migration ${row.id} was applied as ${label(row)} but is now named ${label(expected)}`,
      );
    }
  });
}

/**
 * Applies pending migrations in order. Each runs in its own transaction together with its row
 * in `schema_migrations (id, name, checksum, applied_at)`, so a failing migration leaves
 * nothing behind and is retried on the next start. Before anything runs, the recorded history
 * is checked: an applied migration whose SQL or name changed, or one the code does not know,
 * is refused with a {@link MigrationError} (the service should not start).
 *
 * Safe to run from several processes at once: every step holds a per-schema
 * `pg_advisory_xact_lock` and re-reads the history under it.
 *
 * @param db - a Database from `createDatabase`.
 * @param source - `{ directory }` of `NNNN_name.sql` files, or `{ migrations }`.
 * @param options - `timeoutMs` per migration (lock wait + SQL), in ms.
 * @returns the migrations applied by this call, in order (empty when up to date).
 * @example
 * ```ts
 * const applied = await migrate(db, { directory: new URL('../migrations', import.meta.url).pathname });
 * ```
 */
export async function migrate(
  db: Database,
  source: MigrationSource,
  options: MigrateOptions = {},
): Promise<AppliedMigration[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new TypeError('migrate: timeoutMs must be a positive integer');
  }
  const planned = plan('directory' in source ? await loadMigrations(source.directory) : source.migrations);
  const applied: AppliedMigration[] = [];

  for (;;) {
    const step = await db.transaction(async (tx) => {
      const runScript = scriptRunnerOf(tx);
      if (runScript === undefined) {
        throw new MigrationError(
          'unsupported_database',
          'migrate needs a Database created by createDatabase',
        );
      }
      // Raise the statement timeout first, so it also covers waiting for another process's lock.
      // `timeoutMs` is a checked integer, safe to inline.
      await runScript(`SELECT set_config('statement_timeout', '${timeoutMs}', true)`, { timeoutMs });
      await runScript(`${LOCK}; ${CREATE_TABLE}`, { timeoutMs });
      const { rows } = await tx.query<AppliedMigration>(
        'SELECT id, name, checksum FROM schema_migrations ORDER BY id',
      );
      verifyHistory(rows, planned);
      const next = planned[rows.length];
      if (next === undefined) return undefined;
      await runScript(next.sql, { timeoutMs });
      await tx.query('INSERT INTO schema_migrations (id, name, checksum) VALUES ($1, $2, $3)', [
        next.id,
        next.name,
        next.checksum,
      ]);
      return { id: next.id, name: next.name, checksum: next.checksum };
    });
    if (step === undefined) return applied;
    applied.push(step);
  }
}
