import type { TestEnv } from './env.js';
import { createPostgresSchema, type PostgresSchema, postgresAvailability } from './postgres.js';
import { type RedisServerHandle, redisAvailability, startRedis } from './redis.js';

// The shape of `Result` in @portcullis/errors, spelled out: test helpers do not depend on it.
/**
 * Whether a suite needing both Postgres and a private `redis-server` can run: the URL and binary
 * to use, or every reason it is skipped, joined into one line for the test file to print.
 */
export type SharedBackendsAvailability =
  | { ok: true; postgresUrl: string; redisBin: string }
  | { ok: false; reason: string };

/** Anything with an async `close()` — a `Database` of `@portcullis/db`, a `pg.Pool` wrapper, … */
export interface Closable {
  close(): Promise<void>;
}

/** A tuple of `N` elements for a literal `N` (so `databases: 2` gives `[D, D]`), else `T[]`. */
export type Tuple<T, N extends number, R extends T[] = []> = number extends N
  ? T[]
  : R['length'] extends N
    ? R
    : Tuple<T, N, [...R, T]>;

/** Options of {@link startSharedBackends}. */
export interface StartSharedBackendsOptions<D extends Closable, N extends number> {
  /**
   * Opens one database handle on the schema-scoped URL. This package does not depend on
   * `@portcullis/db` (whose own tests use it), so the caller passes its `createDatabase`.
   */
  open(url: string): Promise<D>;
  /**
   * Runs on every handle concurrently once all are open, e.g. `migrate`; concurrent on purpose,
   * as two processes of one deployment would migrate at start-up. Optional.
   */
  prepare?(db: D): Promise<unknown>;
  /** How many handles to open, one per simulated app process. Default 2. */
  databases?: N;
  /** Schema name prefix, passed to {@link createPostgresSchema}. Default `t`. */
  schemaPrefix?: string;
}

/** One fresh Postgres schema, `N` separate handles on it and one private Redis, torn down together. */
export interface SharedBackends<D extends Closable, N extends number = 2> {
  /** One handle per simulated app process, all on {@link SharedBackends.schema}. */
  readonly databases: Tuple<D, N>;
  /** The private redis-server all processes share (may be killed/restarted by the test). */
  readonly redis: RedisServerHandle;
  /** The fresh schema every handle uses. */
  readonly schema: PostgresSchema;
  /** Closes the handles, stops Redis, drops the schema, in that order. Idempotent. */
  close(): Promise<void>;
}

/**
 * {@link postgresAvailability} and {@link redisAvailability} together, for suites that need both.
 * Outside CI a missing `DATABASE_URL` or `redis-server` gives one combined skip reason; under
 * `CI=true` it throws, so the suite fails instead of skipping (DESIGN §8).
 *
 * @param env - the environment to read; default `process.env`.
 * @throws Error under CI when either backend is unavailable.
 * @example
 * ```ts
 * const backends = sharedBackendsAvailability();
 * if (!backends.ok) console.warn(`skipping the cluster suite: ${backends.reason}`);
 * describe.runIf(backends.ok)('two app processes', () => {  });
 * ```
 */
export function sharedBackendsAvailability(env: TestEnv = process.env): SharedBackendsAvailability {
  const postgres = postgresAvailability(env);
  const redis = redisAvailability(env);
  if (postgres.ok && redis.ok) return { ok: true, postgresUrl: postgres.url, redisBin: redis.bin };
  const reasons = [postgres, redis].flatMap((found) => (found.ok ? [] : [found.reason]));
  return { ok: false, reason: reasons.join('; ') };
}

/**
 * Starts the shared back ends of a multi-process test: a fresh Postgres schema, `databases`
 * separate handles on it (each its own pool, as separate processes would have), `prepare` run
 * on all of them concurrently, and one private `redis-server`. If any step fails, what was
 * already started is torn down before the error is rethrown.
 *
 * @param available - a successful {@link sharedBackendsAvailability} result.
 * @param options - how to open and prepare a handle, and how many to open (default 2).
 * @example
 * ```ts
 * let backends: SharedBackends<Database>;
 * beforeAll(async () => {
 *   if (!available.ok) return;
 *   backends = await startSharedBackends(available, {
 *     open: (url) => createDatabase({ url, poolMax: 20 }),
 *     prepare: (db) => migrate(db, { directory: MIGRATIONS }),
 *   });
 *   const [dbA, dbB] = backends.databases;
 * });
 * afterAll(() => backends?.close());
 * ```
 */
export async function startSharedBackends<D extends Closable, N extends number = 2>(
  available: { postgresUrl: string; redisBin: string },
  options: StartSharedBackendsOptions<D, N>,
): Promise<SharedBackends<D, N>> {
  const count = options.databases ?? 2;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new Error('startSharedBackends: databases must be a positive integer');
  }
  const opened: D[] = [];
  let schema: PostgresSchema | undefined;
  let redis: RedisServerHandle | undefined;
  const teardown = async (): Promise<void> => {
    // Each step runs even if an earlier one failed, so nothing is left behind; the first error wins.
    const results = await Promise.allSettled(opened.map((db) => db.close()));
    const redisStopped = await Promise.allSettled([redis?.stop()]);
    const dropped = await Promise.allSettled([schema?.drop()]);
    const failed = [...results, ...redisStopped, ...dropped].find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  try {
    schema = await createPostgresSchema(
      available.postgresUrl,
      options.schemaPrefix === undefined ? {} : { prefix: options.schemaPrefix },
    );
    redis = await startRedis({ bin: available.redisBin });
    for (let i = 0; i < count; i++) opened.push(await options.open(schema.url));
    const { prepare } = options;
    if (prepare) await Promise.all(opened.map((db) => prepare(db)));
  } catch (error) {
    await teardown().catch(() => {});
    throw error;
  }

  let closed: Promise<void> | undefined;
  return {
    databases: opened as Tuple<D, N>,
    redis,
    schema,
    close() {
      closed ??= teardown();
      return closed;
    },
  };
}
