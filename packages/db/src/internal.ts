import type { Queryable, QueryResult } from './types.js';

/**
 * Runs a multi-statement SQL script (simple query protocol) inside the current transaction.
 * Internal: only migrations need it; the public `query` stays one parameterised statement.
 */
export type ScriptRunner = (sql: string, options: { timeoutMs: number }) => Promise<void>;

/** Key of the script runner on transaction handles made by this package. */
const RUN_SCRIPT: unique symbol = Symbol('@portcullis/db.runScript');

type RunQuery = (sql: string, params: readonly unknown[] | undefined) => Promise<QueryResult<unknown>>;

/** The script runner of a transaction handle created by this package, if it is one. */
export function scriptRunnerOf(tx: Queryable): ScriptRunner | undefined {
  const candidate = (tx as Partial<Record<typeof RUN_SCRIPT, unknown>>)[RUN_SCRIPT];
  return typeof candidate === 'function' ? (candidate as ScriptRunner) : undefined;
}

function endedError(): Error {
  return new Error('transaction handle used after its transaction ended; keep all work inside the callback');
}

/**
 * A transaction handle that refuses work once its transaction has ended, so a leaked `tx`
 * can never run statements on a connection that is back in the pool (maybe in someone
 * else's transaction).
 */
export function createTransactionHandle(
  run: RunQuery,
  script: ScriptRunner,
): { handle: Queryable; end(): void } {
  let open = true;
  const handle = {
    query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      if (!open) return Promise.reject(endedError());
      return run(sql, params) as Promise<QueryResult<R>>;
    },
    [RUN_SCRIPT]: ((sql, options) => {
      if (!open) return Promise.reject(endedError());
      return script(sql, options);
    }) satisfies ScriptRunner,
  };
  return {
    handle: Object.freeze(handle),
    end() {
      open = false;
    },
  };
}
