import { fileURLToPath } from 'node:url';
import { createLogger } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { appSuites, auditApps, connectAppRedis, listen, readJson, type Served } from '@portcullis/testing';
import { inject } from 'vitest';
import { createApp } from '../src/app.js';
import { type BuildDepsOptions, buildDeps } from '../src/deps.js';
import type { Registered } from '../src/routes/developer.js';

export type { ErrorBody } from '../src/http.js';
export type {
  CreatedKey,
  KeyListing,
  ManagementTokenRotated,
  Registered,
  RotatedKey,
} from '../src/routes/developer.js';

const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Every answer of every app this file starts is checked against the document the app serves, and
 * no log line may hold a developer key (anything of its shape) or a management token an app
 * answered with, asserted after the file's tests.
 */
const audit = auditApps({
  secretPatterns: [/trusset_mica_[0-9a-f]{48}/g],
  secretFields: ['apiKey', 'managementToken'],
});

/** A migrated embedded database in memory (register tables empty). */
export async function pgliteDatabase(): Promise<Database> {
  const db = await createDatabase({ dataDir: 'memory://' });
  await migrate(db, { directory: MIGRATIONS });
  return db;
}

export interface RunningApp {
  url: string;
  deps: ReturnType<typeof buildDeps>;
  request(
    path: string,
    init?: RequestInit & { json?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
  /** Cuts this app's Redis connections for good, as a network partition would. */
  cutRedis(): void;
  /**
   * Stops this app as a crash would, for the lost-invalidation tests: its Redis connections are
   * cut first, so nothing it still holds in memory can be published; then it stops serving and
   * its cache stops relaying. (The usage batcher's last flush still runs: it carries no
   * invalidation.) `close()` afterwards does nothing more.
   */
  crash(): Promise<void>;
}

export interface StartOptions extends Partial<Omit<BuildDepsOptions, 'db' | 'logger'>> {
  db: Database;
  /** Connects this app to Redis (two connections, as a process would). */
  redisUrl?: string;
  /** Redis command timeout, ms (the app's is 500); none by default. Suites that pause Redis set it. */
  redisCommandTimeoutMs?: number;
  /** Changes the wired collaborators before the app is built (e.g. recording limiters). */
  instrument?: (deps: ReturnType<typeof buildDeps>) => void;
}

/** Starts one app process-equivalent on a free port: its own cache, limiters and connections. */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { redisUrl, redisCommandTimeoutMs, db, limits, instrument, ...rest } = options;
  const { redis, subscriber, disconnect } = await connectAppRedis(
    redisUrl,
    redisCommandTimeoutMs === undefined ? {} : { commandTimeoutMs: redisCommandTimeoutMs },
  );
  const deps = buildDeps({
    db,
    redis,
    subscriber,
    logger: createLogger({ app: 'mica-register', level: 'debug', destination: audit.logDestination() }),
    // The published per-key limits (60/min, 5 000/day); registrations and failed management-token
    // attempts unbounded so tests can make many developers and wrong tokens from one address.
    limits: { registerPer15Min: 10_000, managementAuthPer15Min: 10_000, ...limits },
    consoleDir: inject('consoleDir'),
    ...rest,
  });
  instrument?.(deps);
  await deps.keyCache.start();
  const watched = audit.watch(createApp(deps).callback());
  const served: Served = await listen(watched.handler);
  await watched.useDocument(served.url);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await served.close();
      await deps.usage.stop();
      await deps.keyCache.close();
      disconnect();
    })();
    return stopped;
  };
  return {
    url: served.url,
    deps,
    async request(path, init = {}) {
      const { json, headers = {}, ...other } = init;
      const merged: Record<string, string> = { ...headers };
      if (json !== undefined) merged['content-type'] = 'application/json';
      return fetch(`${served.url}${path}`, {
        ...other,
        headers: merged,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    close: stop,
    cutRedis: disconnect,
    crash() {
      disconnect();
      return stop();
    },
  };
}

export const body = <T>(res: Response) => readJson<T>(res);

let developerSeq = 0;
/** Registers a developer with a unique email. */
export async function register(app: RunningApp, name = 'Dev Eloper'): Promise<Registered> {
  developerSeq += 1;
  const res = await app.request('/api/mica/developer/register', {
    method: 'POST',
    json: { name, email: `dev${developerSeq}.${process.pid}@example.com` },
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  return body<Registered>(res);
}

/** Headers with a management token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * The multi-process suites of this app (`@portcullis/testing`): `describeCluster` starts two
 * processes with the given options before the suite; `describeBackends` gives the shared Postgres
 * schema and Redis to tests that start their own. One pool per process, migrated.
 */
export const { describeCluster, describeBackends } = appSuites(
  {
    open: (url: string) => createDatabase({ url, poolMax: 20 }),
    prepare: (db: Database) => migrate(db, { directory: MIGRATIONS }),
  },
  (options: Omit<StartOptions, 'db' | 'redisUrl'>, db: Database, redisUrl: string) =>
    startApp({ ...options, db, redisUrl }),
);
