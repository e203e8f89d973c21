import { afterAll, beforeAll, beforeEach } from 'vitest';

/** The part of a database handle the outbox helpers need (`@portcullis/db`'s `Database` fits). */
export interface OutboxQueryable {
  query<R>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

export interface OutboxProbe {
  /** Rows waiting in the outbox. */
  count(): Promise<number>;
  /** The recorded cache ids, oldest first; empties the outbox. */
  take(): Promise<string[]>;
  /** Empties the outbox. */
  clear(): Promise<void>;
}

/**
 * Reads an app's key-cache outbox table (`key_cache_outbox` by default) in tests: how many
 * invalidations wait, and which ids the triggers recorded.
 *
 * @example
 * const outbox = outboxProbe(db);
 * await db.query('UPDATE api_keys SET status = $1 WHERE id = $2', ['REVOKED', id]);
 * expect(await outbox.take()).toEqual([digest]);
 */
export function outboxProbe(db: OutboxQueryable, table = 'key_cache_outbox'): OutboxProbe {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new TypeError(`outboxProbe: bad table name ${table}`);
  const clear = async () => {
    await db.query(`DELETE FROM ${table}`);
  };
  return {
    async count() {
      return (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]?.n ?? 0;
    },
    async take() {
      const { rows } = await db.query<{ cache_id: string }>(`SELECT cache_id FROM ${table} ORDER BY id`);
      await clear();
      return rows.map((row) => row.cache_id);
    },
    clear,
  };
}

/**
 * Polls `check` every `intervalMs` (default 20) until it resolves true; rejects once `timeoutMs`
 * (default 5 000) has passed without that, so a test waiting for a condition is always bounded.
 *
 * @example
 * await waitUntil(async () => (await outbox.count()) === 0);
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/** What the tests of an outbox suite use; see {@link outboxDatabase}. */
export interface OutboxDatabase<D> {
  /** The migrated database of the suite. */
  readonly db: D;
  /** The recorded cache ids, oldest first; empties the outbox. */
  take(): Promise<string[]>;
}

/**
 * The fixture of a suite that tests an app's outbox triggers on a database no app runs on (so
 * nothing relays the rows away): `open()` before the suite, the outbox emptied before each test,
 * the database closed after the suite. Call it inside a `describe`.
 *
 * @example
 * describe('key cache outbox triggers', () => {
 *   const outbox = outboxDatabase(pgliteDatabase);
 *   it('records a revoked key', async () => { …; expect(await outbox.take()).toEqual([digest]); });
 * });
 */
export function outboxDatabase<D extends OutboxQueryable & { close(): Promise<void> }>(
  open: () => Promise<D>,
  table = 'key_cache_outbox',
): OutboxDatabase<D> {
  let opened: D | undefined;
  const db = () => {
    if (opened === undefined) throw new Error('outboxDatabase: the database is not open');
    return opened;
  };
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.close();
    opened = undefined;
  });
  beforeEach(async () => {
    await outboxProbe(db(), table).clear();
  });
  return {
    get db() {
      return db();
    },
    take: () => outboxProbe(db(), table).take(),
  };
}
