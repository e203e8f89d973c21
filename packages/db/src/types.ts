/**
 * Result of one statement, identical in shape on both backends.
 *
 * Column values follow one mapping on both backends (see README "Types"): `int8` and `numeric`
 * as strings, `timestamptz`/`timestamp` as `Date`, `date` as `'YYYY-MM-DD'`, `interval` as text,
 * `bytea` as `Buffer`, `json`/`jsonb` parsed.
 */
export interface QueryResult<R> {
  rows: R[];
  /** Rows returned (SELECT, RETURNING) or affected (INSERT/UPDATE/DELETE); 0 for other commands. */
  rowCount: number;
}

/** Something that runs one parameterised SQL statement: a {@link Database} or a transaction handle. */
export interface Queryable {
  /**
   * Runs exactly one statement with `$1…$n` parameters (extended protocol on both backends, so
   * a second statement in `sql` is rejected, never executed).
   */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

/** One small interface over `pg.Pool` (Postgres) or PGlite (embedded), DESIGN §7. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Embedded database only (`undefined` for Postgres): how many statements and whole transactions
   * have finished on its one session so far. The embedded database has one session, used by one
   * process, and runs one piece of work at a time, so while this count is unchanged nothing has
   * been written since it was read: a cache of a read may be served again without asking, exactly.
   *
   * @example
   * const before = db.finishedWork?.();
   * const head = await db.query('SELECT version FROM status_lists WHERE …');
   * // valid while db.finishedWork() === before + 1 (only this read finished in between)
   */
  readonly finishedWork?: (() => number) | undefined;
  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws (the error is rethrown). Use only `tx` inside `fn`.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Waits for work in flight, then releases connections / closes the embedded database. Idempotent. */
  close(): Promise<void>;
}

/** Options of `createDatabase`. */
export interface DatabaseOptions {
  /** PostgreSQL connection URL. When given, a `pg.Pool` is used and `dataDir` is ignored. */
  url?: string;
  /** PGlite data directory (created if missing), or `'memory://'` for an in-memory database. */
  dataDir?: string;
  /** Postgres: most connections in the pool. Default 10. */
  poolMax?: number;
  /**
   * Postgres: bound on opening a connection and on waiting for a free pool slot.
   * PGlite: bound on waiting for the single embedded session. In ms; default 3 000.
   */
  connectTimeoutMs?: number;
  /**
   * Postgres: server-side `statement_timeout`; the client also gives up on a silent server
   * 1 s after it. In ms; default 5 000. (PGlite runs in-process and cannot be interrupted.)
   */
  statementTimeoutMs?: number;
  /** Postgres: `idle_in_transaction_session_timeout`, so a stuck transaction cannot hold locks forever. In ms; default 10 000. */
  idleInTransactionTimeoutMs?: number;
  /**
   * Postgres: called with errors of idle pooled connections (e.g. the server restarted). The
   * pool has already discarded the connection; without a handler they are ignored, never fatal.
   */
  onError?: (error: Error) => void;
}
