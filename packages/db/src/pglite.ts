import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite, type Results } from '@electric-sql/pglite';
import { DatabaseUnavailableError } from './errors.js';
import { createTransactionHandle } from './internal.js';
import { normalizeParams } from './params.js';
import { SessionLock } from './session-lock.js';
import { pgliteParsers } from './type-parsers.js';
import type { Database, Queryable, QueryResult } from './types.js';

/** Resolved settings for the PGlite backend. */
export interface PgliteSettings {
  /** Bound on waiting for the single embedded session, in ms. */
  connectTimeoutMs: number;
}

const MEMORY_DATA_DIR = 'memory://';

/** How long close() waits for work in flight before closing anyway, in ms. */
const CLOSE_GRACE_MS = 10_000;

function toResult<R>(result: Results<unknown>): QueryResult<R> {
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

/**
 * PGlite attaches the statement's parameter values to its errors; node-postgres does not.
 * Drop them so an error that reaches a log cannot carry a bound secret (SPEC §8).
 */
function scrub(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    delete record.params;
    delete record.queryOptions;
  }
  return error;
}

function closedError(): DatabaseUnavailableError {
  return new DatabaseUnavailableError('DB_CLOSED', 'database is closed');
}

async function openPglite(dataDir: string): Promise<PGlite> {
  if (dataDir === MEMORY_DATA_DIR) return PGlite.create(MEMORY_DATA_DIR, { parsers: pgliteParsers });
  if (dataDir.includes('://')) {
    throw new TypeError(`createDatabase: dataDir must be a directory path or '${MEMORY_DATA_DIR}'`);
  }
  const absolute = resolve(dataDir);
  // PGlite creates only the last path segment; SPEC §1's default `./.data/<app>` is nested.
  await mkdir(absolute, { recursive: true });
  return PGlite.create(absolute, { parsers: pgliteParsers });
}

/**
 * The embedded backend: PGlite (Postgres compiled to WASM, in-process). Every statement and
 * every whole transaction holds one FIFO {@link SessionLock}, because PGlite is a single
 * session. One process per data directory.
 */
export async function createPgliteDatabase(dataDir: string, settings: PgliteSettings): Promise<Database> {
  const pg = await openPglite(dataDir);
  const lock = new SessionLock();
  let closing: Promise<void> | undefined;
  // Counted while the lock is held: work finishes strictly one piece after another.
  let finished = 0;

  async function exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (closing) throw closedError();
    const release = await lock.acquire(settings.connectTimeoutMs);
    try {
      return await work();
    } finally {
      finished += 1;
      release();
    }
  }

  return {
    kind: 'pglite',
    finishedWork: () => finished,
    async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
      const values = normalizeParams(params);
      return exclusive(async () => {
        try {
          return toResult<R>(await pg.query(sql, values));
        } catch (error) {
          throw scrub(error);
        }
      });
    },
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return exclusive(async () => {
        try {
          // PGlite's own transaction(): BEGIN, COMMIT (throwing if it became ROLLBACK), ROLLBACK on throw.
          return await pg.transaction(async (tx) => {
            const { handle, end } = createTransactionHandle(
              async (sql, params) => {
                try {
                  return toResult(await tx.query(sql, normalizeParams(params)));
                } catch (error) {
                  throw scrub(error);
                }
              },
              async (sql) => {
                try {
                  await tx.exec(sql);
                } catch (error) {
                  throw scrub(error);
                }
              },
            );
            try {
              return await fn(handle);
            } finally {
              end();
            }
          });
        } catch (error) {
          throw scrub(error);
        }
      });
    },
    close() {
      closing ??= (async () => {
        // Let statements and transactions already queued finish first (FIFO), but not forever.
        const release = await lock.acquire(CLOSE_GRACE_MS).catch(() => undefined);
        try {
          await pg.close();
        } finally {
          release?.();
        }
      })();
      return closing;
    },
  };
}
