import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import {
  type Closable,
  type SharedBackends,
  type SharedBackendsAvailability,
  sharedBackendsAvailability,
  startSharedBackends,
} from './shared-backends.js';

/** Two app processes of one deployment and the back ends they share, as a suite sees them. */
export interface TwoProcessCluster<D extends Closable, A extends Closable> {
  /** The first process. */
  readonly a: A;
  /** The second process. */
  readonly b: A;
  /** The database handle of `a`. */
  readonly dbA: D;
  /** The database handle of `b`. */
  readonly dbB: D;
  /** The shared Postgres schema and private `redis-server` (which a test may stop or restart). */
  readonly backends: SharedBackends<D>;
}

/** Options of {@link describeTwoProcesses}. */
export interface TwoProcessOptions<D extends Closable, A extends Closable> {
  /** Opens one database handle on the schema-scoped URL (the app's `createDatabase`). */
  open(url: string): Promise<D>;
  /** Runs on both handles concurrently once open, e.g. `migrate`. */
  prepare?(db: D): Promise<unknown>;
  /** Starts one app process on `db`, connected to the shared Redis at `redisUrl`. */
  start(db: D, redisUrl: string): Promise<A>;
  /**
   * Start both processes at once, as one deployment's would (e.g. both generating or loading
   * shared key material at boot). Default false: `a`, then `b`.
   */
  together?: boolean;
  /** The availability to use; default {@link sharedBackendsAvailability} of the environment. */
  availability?: SharedBackendsAvailability;
}

/** The shared back ends of a suite, as its tests see them; see {@link describeSharedBackends}. */
export interface SharedBackendsFixture<D extends Closable> {
  /** The shared Postgres schema and private `redis-server` (which a test may stop or restart). */
  readonly backends: SharedBackends<D>;
  /** The first database handle (the first process's). */
  readonly dbA: D;
  /** The second database handle (the second process's). */
  readonly dbB: D;
  /** Closes `app` after the current test, whatever its outcome; returns it. */
  closeAfterTest<A extends Closable>(app: A): A;
}

/** Options of {@link describeSharedBackends}. */
export interface SharedBackendsFixtureOptions<D extends Closable> {
  /** Opens one database handle on the schema-scoped URL (the app's `createDatabase`). */
  open(url: string): Promise<D>;
  /** Runs on both handles concurrently once open, e.g. `migrate`. */
  prepare?(db: D): Promise<unknown>;
  /** The availability to use; default {@link sharedBackendsAvailability} of the environment. */
  availability?: SharedBackendsAvailability;
}

/**
 * A suite over one Postgres schema (two handles, one per simulated process) and one private
 * `redis-server`, for suites whose tests start their own app processes (each with its own
 * options). Started before the suite, closed after it. Outside CI a missing back end skips the
 * suite with one printed reason; under `CI=true` it fails instead.
 *
 * @example
 * describeSharedBackends('outages', { open, prepare }, (shared) => {
 *   it('…', async () => { const a = await startApp({ db: shared.dbA, redisUrl: shared.backends.redis.url }); … });
 * });
 */
export function describeSharedBackends<D extends Closable>(
  title: string,
  options: SharedBackendsFixtureOptions<D>,
  body: (shared: SharedBackendsFixture<D>) => void,
): void {
  const available = options.availability ?? sharedBackendsAvailability();
  if (!available.ok) console.warn(`skipping "${title}": ${available.reason}`);
  let started: SharedBackends<D> | undefined;
  const get = () => {
    if (started === undefined) throw new Error(`"${title}": the back ends are not started`);
    return started;
  };
  const running: Closable[] = [];
  const shared: SharedBackendsFixture<D> = {
    closeAfterTest(app) {
      running.push(app);
      return app;
    },
    get backends() {
      return get();
    },
    get dbA() {
      return get().databases[0];
    },
    get dbB() {
      return get().databases[1];
    },
  };
  describe.runIf(available.ok)(title, () => {
    beforeAll(async () => {
      if (!available.ok) return;
      started = await startSharedBackends(available, {
        open: options.open,
        ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
      });
    });
    afterEach(async () => {
      await Promise.all(running.splice(0).map((app) => app.close()));
    });
    afterAll(async () => {
      const backends = started;
      started = undefined;
      await backends?.close();
    });
    body(shared);
  });
}

/**
 * A suite over two app processes sharing one Postgres schema and one private `redis-server`: the
 * multi-process tests of every app use this one fixture. Starts the back ends and both apps before
 * the suite, closes them (apps first) after it. Outside CI a missing back end skips the suite
 * with one printed reason; under `CI=true` it fails instead (see `sharedBackendsAvailability`).
 *
 * @example
 * describeTwoProcesses('two app processes', {
 *   open: (url) => createDatabase({ url, poolMax: 20 }),
 *   prepare: (db) => migrate(db, { directory: MIGRATIONS }),
 *   start: (db, redisUrl) => startApp({ db, redisUrl }),
 * }, (cluster) => {
 *   it('sees a revocation on the other process', async () => { … cluster.a … cluster.b … });
 * });
 */
export function describeTwoProcesses<D extends Closable, A extends Closable>(
  title: string,
  options: TwoProcessOptions<D, A>,
  body: (cluster: TwoProcessCluster<D, A>) => void,
): void {
  const apps: A[] = [];
  describeSharedBackends(title, options, (shared) => {
    beforeAll(async () => {
      const url = shared.backends.redis.url;
      if (options.together) {
        apps.push(...(await Promise.all([options.start(shared.dbA, url), options.start(shared.dbB, url)])));
      } else {
        apps.push(await options.start(shared.dbA, url));
        apps.push(await options.start(shared.dbB, url));
      }
    });
    // Registered after the back ends' own afterAll, so it runs first: apps close before their back ends.
    afterAll(async () => {
      for (const app of apps.splice(0)) await app.close();
    });
    const app = (index: number) => {
      const found = apps[index];
      if (found === undefined) throw new Error(`"${title}": the apps are not started`);
      return found;
    };
    body({
      get a() {
        return app(0);
      },
      get b() {
        return app(1);
      },
      get dbA() {
        return shared.dbA;
      },
      get dbB() {
        return shared.dbB;
      },
      get backends() {
        return shared.backends;
      },
    });
  });
}

/** An app's multi-process suites; see {@link appSuites}. */
export interface AppSuites<D extends Closable, A extends Closable, O> {
  /** Two processes started with `options` before the suite (see {@link describeTwoProcesses}). */
  describeCluster(title: string, options: O, body: (cluster: TwoProcessCluster<D, A>) => void): void;
  /** The shared back ends alone, for tests that start their own processes (see {@link describeSharedBackends}). */
  describeBackends(title: string, body: (shared: SharedBackendsFixture<D>) => void): void;
}

/**
 * The multi-process suites of one app, bound once in its test harness to its database (`open`,
 * `prepare`) and its way of starting a process, so no app repeats the fixture's set-up.
 *
 * @example
 * export const { describeCluster, describeBackends } = appSuites(
 *   { open: (url) => createDatabase({ url, poolMax: 20 }), prepare: (db) => migrate(db, { directory: MIGRATIONS }) },
 *   (options, db, redisUrl) => startApp({ ...options, db, redisUrl }),
 * );
 */
export function appSuites<D extends Closable, A extends Closable, O>(
  database: SharedBackendsFixtureOptions<D>,
  start: (options: O, db: D, redisUrl: string) => Promise<A>,
  settings: { together?: boolean } = {},
): AppSuites<D, A, O> {
  return {
    describeCluster(title, options, body) {
      describeTwoProcesses(
        title,
        {
          ...database,
          start: (db, redisUrl) => start(options, db, redisUrl),
          ...(settings.together === undefined ? {} : { together: settings.together }),
        },
        body,
      );
    },
    describeBackends(title, body) {
      describeSharedBackends(title, database, body);
    },
  };
}
