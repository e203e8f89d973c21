import { createPgliteDatabase } from './pglite.js';
import { createPostgresDatabase } from './postgres.js';
import type { Database, DatabaseOptions } from './types.js';

const DEFAULTS = {
  poolMax: 10,
  connectTimeoutMs: 3_000,
  statementTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 10_000,
} as const;

function checkInteger(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`createDatabase: ${name} must be an integer ≥ ${min}`);
  }
  return value;
}

/**
 * Opens the database: a `pg.Pool` when `url` is given, otherwise embedded PGlite in `dataDir`
 * (`'memory://'` for in-memory). Both run the same SQL and return the same JS values (DESIGN §7).
 *
 * The pool connects lazily, so this resolves even while Postgres is down; the first query then
 * fails fast (`connectTimeoutMs`) with an error {@link isDatabaseUnavailable} recognises.
 *
 * @param options - connection target and timeouts (all in ms); see the README options table.
 * @throws TypeError when neither `url` nor `dataDir` is given, or an option is out of range.
 * @example
 * ```ts
 * const db = await createDatabase(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir: env.DATA_DIR });
 * await migrate(db, { directory: new URL('../migrations', import.meta.url).pathname });
 * const { rows } = await db.query<{ id: string }>('SELECT id FROM instances WHERE name = $1', [name]);
 * await db.transaction(async (tx) => {
 *   await tx.query('UPDATE keys SET status = $1 WHERE id = $2', ['revoked', id]);
 * });
 * await db.close();
 * ```
 */
export async function createDatabase(options: DatabaseOptions): Promise<Database> {
  const connectTimeoutMs = checkInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs,
    DEFAULTS.connectTimeoutMs,
    1,
  );
  if (options.url !== undefined) {
    if (typeof options.url !== 'string' || options.url.trim() === '') {
      throw new TypeError('createDatabase: url must be a non-empty connection string');
    }
    return createPostgresDatabase(options.url, {
      poolMax: checkInteger('poolMax', options.poolMax, DEFAULTS.poolMax, 1),
      connectTimeoutMs,
      statementTimeoutMs: checkInteger(
        'statementTimeoutMs',
        options.statementTimeoutMs,
        DEFAULTS.statementTimeoutMs,
        0,
      ),
      idleInTransactionTimeoutMs: checkInteger(
        'idleInTransactionTimeoutMs',
        options.idleInTransactionTimeoutMs,
        DEFAULTS.idleInTransactionTimeoutMs,
        0,
      ),
      onError: options.onError,
    });
  }
  if (options.dataDir !== undefined && options.dataDir !== '') {
    return createPgliteDatabase(options.dataDir, { connectTimeoutMs });
  }
  throw new TypeError("createDatabase: give url (PostgreSQL) or dataDir (PGlite; 'memory://' for in-memory)");
}
