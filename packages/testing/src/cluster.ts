import { afterAll, beforeAll, describe } from 'vitest';
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
  const available = options.availability ?? sharedBackendsAvailability();
  if (!available.ok) console.warn(`skipping "${title}": ${available.reason}`);
  let state: { backends: SharedBackends<D>; apps: A[] } | undefined;
  const get = () => {
    if (state === undefined) throw new Error(`"${title}": the cluster is not started`);
    return state;
  };
  const cluster: TwoProcessCluster<D, A> = {
    get a() {
      return get().apps[0] as A;
    },
    get b() {
      return get().apps[1] as A;
    },
    get dbA() {
      return get().backends.databases[0];
    },
    get dbB() {
      return get().backends.databases[1];
    },
    get backends() {
      return get().backends;
    },
  };

  describe.runIf(available.ok)(title, () => {
    beforeAll(async () => {
      if (!available.ok) return;
      const backends = await startSharedBackends(available, {
        open: options.open,
        ...(options.prepare === undefined ? {} : { prepare: options.prepare }),
      });
      state = { backends, apps: [] };
      const [dbA, dbB] = backends.databases;
      const url = backends.redis.url;
      if (options.together) {
        state.apps.push(...(await Promise.all([options.start(dbA, url), options.start(dbB, url)])));
      } else {
        state.apps.push(await options.start(dbA, url));
        state.apps.push(await options.start(dbB, url));
      }
    });
    afterAll(async () => {
      const started = state;
      state = undefined;
      if (started === undefined) return;
      for (const app of started.apps) await app.close();
      await started.backends.close();
    });
    body(cluster);
  });
}
