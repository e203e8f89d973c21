import { jtiDigest, type ReplayStore, ttlOf } from './replay-store.js';

/**
 * What the store needs from a database: `query` with `$n` parameters returning `rowCount`. A
 * `Database` or transaction handle of `@portcullis/db` (its `Queryable`) satisfies it.
 */
export interface ReplayQueryable {
  query(sql: string, params?: readonly unknown[]): Promise<{ rowCount: number }>;
}

/** Options of {@link createPostgresReplayStore}. */
export interface PostgresReplayStoreOptions {
  db: ReplayQueryable;
  /** Table name, optionally schema-qualified (`[a-z_][a-z0-9_]*`). Default `dpop_replay`. */
  table?: string;
  /** Clock in ms since the epoch; expiry is decided by it, not by the database clock. Default `Date.now`. */
  now?: () => number;
  /** Expired rows are deleted at most this often, in the background of `remember`. Default 60 000 ms. */
  cleanupIntervalMs?: number;
  /** Rows one cleanup deletes at most (bounds the statement). Default 1 000. */
  cleanupBatchSize?: number;
  /** Called with errors of background cleanups (e.g. to log them). Default: ignored. */
  onCleanupError?: (error: unknown) => void;
}

/** A {@link ReplayStore} on Postgres or PGlite. */
export interface PostgresReplayStore extends ReplayStore {
  /** Deletes up to `cleanupBatchSize` expired rows now; resolves with how many. For a scheduled job. */
  deleteExpired(): Promise<number>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(?:\.[a-z_][a-z0-9_]{0,62})?$/;

/**
 * The table {@link createPostgresReplayStore} needs, for the app's migrations. `jti_hash` is the
 * SHA-256 of the `jti` (fixed size, never a NUL or an odd character in a column).
 *
 * @param table - table name, optionally schema-qualified. Default `dpop_replay`.
 * @example
 * ```ts
 * // migrations/0007_dpop_replay.sql holds the text of dpopReplayTableSql()
 * await migrate(db, { migrations: [{ id: 1, name: 'dpop_replay', sql: dpopReplayTableSql() }] });
 * ```
 */
export function dpopReplayTableSql(table = 'dpop_replay'): string {
  const name = checkTable(table);
  const index = `${name.replace('.', '_')}_expires_at_idx`;
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (`,
    '  jkt text NOT NULL,',
    '  jti_hash text NOT NULL,',
    '  expires_at timestamptz NOT NULL,',
    '  PRIMARY KEY (jkt, jti_hash)',
    ');',
    `CREATE INDEX IF NOT EXISTS ${index} ON ${name} (expires_at);`,
    '',
  ].join('\n');
}

/** `dpopReplayTableSql()` for the default table name `dpop_replay`. */
export const DPOP_REPLAY_TABLE_SQL: string = dpopReplayTableSql();

/**
 * A replay store on Postgres (or PGlite) for deployments without Redis (SPEC §6.4): one
 * statement per proof,
 *
 * ```sql
 * INSERT INTO dpop_replay AS t (jkt, jti_hash, expires_at) VALUES ($1, $2, $3)
 * ON CONFLICT (jkt, jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at
 *   WHERE t.expires_at <= $4
 * RETURNING 1
 * ```
 *
 * A new pair inserts a row; a pair whose row has expired takes the row over; a live pair returns
 * no row (replay). The primary key makes this atomic across processes: of concurrent inserts of
 * one pair exactly one returns a row. Expired rows are also deleted in batches, at most every
 * `cleanupIntervalMs`, in the background. Database errors propagate (the verifier fails closed).
 *
 * @example
 * ```ts
 * const replay = createPostgresReplayStore({ db });   // db from @portcullis/db
 * await replay.remember(jkt, jti, 600_000);           // true, then false within 600 s
 * ```
 */
export function createPostgresReplayStore(options: PostgresReplayStoreOptions): PostgresReplayStore {
  const { db } = options;
  const table = checkTable(options.table ?? 'dpop_replay');
  const now = options.now ?? Date.now;
  const cleanupIntervalMs = options.cleanupIntervalMs ?? 60_000;
  const cleanupBatchSize = options.cleanupBatchSize ?? 1_000;
  const onCleanupError = options.onCleanupError ?? (() => {});
  if (!Number.isSafeInteger(cleanupBatchSize) || cleanupBatchSize < 1) {
    throw new TypeError('createPostgresReplayStore: cleanupBatchSize must be a positive integer');
  }

  const insert =
    `INSERT INTO ${table} AS t (jkt, jti_hash, expires_at) VALUES ($1, $2, $3) ` +
    'ON CONFLICT (jkt, jti_hash) DO UPDATE SET expires_at = EXCLUDED.expires_at ' +
    'WHERE t.expires_at <= $4 RETURNING 1';
  const purge =
    `DELETE FROM ${table} WHERE (jkt, jti_hash) IN ` +
    `(SELECT jkt, jti_hash FROM ${table} WHERE expires_at <= $1 LIMIT $2)`;

  let lastCleanup = now();
  let cleaning = false;

  const deleteExpired = async (): Promise<number> => {
    const result = await db.query(purge, [new Date(now()), cleanupBatchSize]);
    return result.rowCount;
  };

  const maybeCleanup = (at: number): void => {
    if (cleaning || at - lastCleanup < cleanupIntervalMs) return;
    cleaning = true;
    lastCleanup = at;
    // Not awaited on purpose: the sweep runs beside the request that triggered it, and its
    // failures go to onCleanupError (a proof is never refused because a sweep failed).
    void deleteExpired()
      .catch(onCleanupError)
      .finally(() => {
        cleaning = false;
      });
  };

  return {
    async remember(jkt, jti, ttlMs) {
      const at = now();
      const result = await db.query(insert, [jkt, jtiDigest(jti), new Date(at + ttlOf(ttlMs)), new Date(at)]);
      maybeCleanup(at);
      return result.rowCount === 1;
    },
    deleteExpired,
  };
}

function checkTable(table: string): string {
  // The name is interpolated into SQL, so only plain lower-case identifiers are allowed.
  if (!IDENTIFIER.test(table)) {
    throw new TypeError('dpop replay store: table must match /^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?$/');
  }
  return table;
}
