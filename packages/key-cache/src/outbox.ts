/**
 * A durable record of invalidations that still have to reach every process (SPEC §8: an
 * invalidation is never lost). The writer of a state change records the affected cache ids in the
 * same database transaction as the change; every process's key cache relays the records to Redis
 * and removes them only once they are published. A change committed while Redis is unreachable,
 * or by a process that dies before Redis returns, is therefore still published by whichever
 * process gets to it first.
 *
 * Delivery is at least once: a record whose publication succeeded but whose removal did not
 * commit is published again. Publishing an invalidation twice is harmless (one more L1 eviction
 * and one more database read per id).
 */
export interface InvalidationOutbox {
  /**
   * Takes up to `limit` recorded invalidations that no other process is relaying, oldest first
   * (with `only`: just those of these ids), passes their distinct ids to `publish`, and removes
   * them only if `publish` resolves. If `publish` rejects (or the process dies first) the records
   * stay for the next attempt and the rejection is passed on. Resolves with how many records were
   * taken (0: none were free, and `publish` was not called).
   */
  relay(
    limit: number,
    publish: (ids: readonly string[]) => Promise<void>,
    only?: readonly string[],
  ): Promise<number>;
  /** Position of the newest recorded invalidation, or `null` when none is recorded. */
  newest(): Promise<string | null>;
  /**
   * Whether an invalidation recorded at or before `position` (from {@link newest}) is still
   * waiting, including one another process is relaying right now.
   */
  pendingThrough(position: string): Promise<boolean>;
}

/** One statement runner: the `Queryable` of `@portcullis/db` (kept structural: no dependency). */
export interface OutboxQueryable {
  query<R>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

/** What {@link createSqlOutbox} needs of a database: the `Database` of `@portcullis/db` fits. */
export interface OutboxDatabase extends OutboxQueryable {
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it rejects. */
  transaction<T>(fn: (tx: OutboxQueryable) => Promise<T>): Promise<T>;
}

export interface SqlOutboxOptions {
  /**
   * The outbox table, optionally schema-qualified (`[a-z_][a-z0-9_]*`, once or twice with a dot).
   * Default `key_cache_outbox`.
   */
  table?: string;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * An {@link InvalidationOutbox} over a Postgres table (Postgres or PGlite), shaped as:
 *
 * ```sql
 * CREATE TABLE key_cache_outbox (
 *   id          bigserial PRIMARY KEY,
 *   cache_id    text NOT NULL,
 *   created_at  timestamptz NOT NULL DEFAULT now()
 * );
 * ```
 *
 * Rows are written by the application (best by triggers on the tables the cache mirrors, so no
 * code path can forget one). `relay` claims rows with `SELECT … FOR UPDATE SKIP LOCKED` and deletes
 * them in the same transaction after `publish` resolves, so concurrent relays on several processes
 * never take the same row, and a failed or interrupted publication leaves the rows in place. The
 * transaction stays open while `publish` runs: keep `publish` bounded (the key cache bounds it with
 * its Redis command timeout).
 *
 * @param db - a `Database` of `@portcullis/db`, or anything with the same `query`/`transaction`.
 * @throws TypeError when `table` is not a plain (optionally schema-qualified) identifier.
 * @example
 * const cache = createKeyCache<KeyRow>({
 *   load: (digest) => findKey(db, digest),
 *   redis,
 *   subscriber,
 *   outbox: createSqlOutbox(db), // rows written by triggers on the key tables
 * });
 */
export function createSqlOutbox(db: OutboxDatabase, options: SqlOutboxOptions = {}): InvalidationOutbox {
  const table = options.table ?? 'key_cache_outbox';
  // The name is spliced into SQL: only plain identifiers, never anything quoted or user supplied.
  if (!TABLE_NAME.test(table))
    throw new TypeError(`createSqlOutbox: table must be an identifier, got ${table}`);

  return {
    relay(limit, publish, only) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        return Promise.reject(new TypeError('createSqlOutbox: relay limit must be a positive integer'));
      }
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string | number; cache_id: string }>(
          only === undefined
            ? `SELECT id, cache_id FROM ${table} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`
            : `SELECT id, cache_id FROM ${table} WHERE cache_id = ANY($2::text[])
                ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          only === undefined ? [limit] : [limit, [...only]],
        );
        if (rows.length === 0) return 0;
        await publish([...new Set(rows.map((row) => row.cache_id))]);
        await tx.query(`DELETE FROM ${table} WHERE id = ANY($1::bigint[])`, [
          rows.map((row) => String(row.id)),
        ]);
        return rows.length;
      });
    },
    async newest() {
      const { rows } = await db.query<{ id: string | number | null }>(`SELECT max(id) AS id FROM ${table}`);
      const id = rows[0]?.id;
      return id === null || id === undefined ? null : String(id);
    },
    async pendingThrough(position) {
      const { rows } = await db.query<{ pending: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id <= $1::bigint) AS pending`,
        [position],
      );
      return rows[0]?.pending === true;
    },
  };
}
