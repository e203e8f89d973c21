import { Pool, type PoolClient, type QueryConfig, type QueryResultRow } from 'pg';
import {
  DatabaseUnavailableError,
  isDatabaseUnavailable,
  sqlState,
  TransactionAbortedError,
} from './errors.js';
import { createTransactionHandle } from './internal.js';
import { normalizeParams } from './params.js';
import { pgTypeParsers } from './type-parsers.js';
import type { Database, Queryable, QueryResult } from './types.js';

/** Resolved settings for the pg backend, all in ms. */
export interface PostgresSettings {
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  onError: ((error: Error) => void) | undefined;
}

/** node-postgres accepts these per query, but @types/pg does not declare them. */
interface ExtendedQueryConfig extends QueryConfig<unknown[]> {
  /** Always use Parse/Bind/Execute, even without parameters: one statement only, like PGlite. */
  queryMode?: 'extended';
  query_timeout?: number;
}

/**
 * Every session runs in UTC with ISO output so that `now()::date`, timestamp text and
 * interval text match PGlite (which always runs in UTC).
 */
const SESSION_SETUP =
  "SELECT set_config('TimeZone', 'UTC', false), set_config('DateStyle', 'ISO, MDY', false), " +
  "set_config('IntervalStyle', 'postgres', false)";

/** Client-side margin after the server's statement_timeout before we stop waiting for a silent server. */
const READ_TIMEOUT_MARGIN_MS = 1_000;

/** How long close() waits for work in flight before ending the pool anyway, in ms. */
const CLOSE_GRACE_MS = 10_000;

function settleWithin(promises: Iterable<Promise<unknown>>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void Promise.allSettled(promises).then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function toResult<R>(result: { rows: QueryResultRow[]; rowCount: number | null }): QueryResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

function closedError(): DatabaseUnavailableError {
  return new DatabaseUnavailableError('DB_CLOSED', 'database is closed');
}

/** A failure of the connection itself (not a SQL error): the session cannot be trusted any more. */
function isConnectionFailure(error: unknown): boolean {
  return sqlState(error) === undefined && isDatabaseUnavailable(error);
}

/**
 * The Postgres backend: a `pg.Pool` with short timeouts, per-pool type parsers, and a pool
 * `error` handler so a dying idle connection never crashes the process (SPEC §8).
 */
export function createPostgresDatabase(url: string, settings: PostgresSettings): Database {
  const { statementTimeoutMs } = settings;
  const pool = new Pool({
    connectionString: url,
    max: settings.poolMax,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    ...(statementTimeoutMs > 0 ? { query_timeout: statementTimeoutMs + READ_TIMEOUT_MARGIN_MS } : {}),
    keepAlive: true,
    types: pgTypeParsers,
    onConnect: async (client) => {
      await client.query(SESSION_SETUP);
    },
  });
  // Idle-client errors (server restart, network cut) arrive here after the pool has already
  // dropped the client. An unhandled 'error' event would kill the process.
  pool.on('error', (error) => settings.onError?.(error));

  let closing: Promise<void> | undefined;
  // Work accepted before close(): close() lets it finish, because pg-pool strands callers that
  // are still waiting for a connection when the pool ends.
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    void work.then(
      () => inflight.delete(work),
      () => inflight.delete(work),
    );
    return work;
  };

  const statement = (sql: string, params: readonly unknown[] | undefined): ExtendedQueryConfig => ({
    text: sql,
    values: normalizeParams(params),
    queryMode: 'extended',
  });

  const runOn = async <R>(client: PoolClient, sql: string, params: readonly unknown[] | undefined) =>
    toResult<R>(await client.query<QueryResultRow>(statement(sql, params)));

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // While checked out, the pool's own listener is detached: without ours, a connection that
    // dies between two statements would emit an unhandled 'error' and crash the process.
    let broken: Error | undefined;
    const onClientError = (error: Error) => {
      broken ??= error;
    };
    client.on('error', onClientError);
    const { handle, end } = createTransactionHandle(
      (sql, params) => runOn(client, sql, params),
      async (sql, { timeoutMs }) => {
        const config: ExtendedQueryConfig = { text: sql, query_timeout: timeoutMs + READ_TIMEOUT_MARGIN_MS };
        await client.query(config);
      },
    );
    let discard: Error | undefined;
    try {
      await client.query('BEGIN');
      const value = await fn(handle);
      end();
      const commit = await client.query('COMMIT');
      // A failed statement whose error was caught inside fn turns COMMIT into ROLLBACK;
      // node-postgres reports that as success. Never let it pass as committed.
      if (commit.command === 'ROLLBACK') throw new TransactionAbortedError();
      return value;
    } catch (error) {
      end();
      if (broken !== undefined || isConnectionFailure(error)) {
        discard = broken ?? (error as Error);
      } else {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          discard = rollbackError as Error;
        }
      }
      throw error;
    } finally {
      client.off('error', onClientError);
      // Releasing with an error destroys the connection; the server then aborts whatever is open.
      client.release(discard ?? broken);
    }
  }

  return {
    kind: 'postgres',
    query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      if (closing) return Promise.reject(closedError());
      return track((async () => toResult<R>(await pool.query<QueryResultRow>(statement(sql, params))))());
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (closing) return Promise.reject(closedError());
      return track(transaction(fn));
    },
    close() {
      closing ??= settleWithin(inflight, CLOSE_GRACE_MS).then(() => pool.end());
      return closing;
    },
  };
}
