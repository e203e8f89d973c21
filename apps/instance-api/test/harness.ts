import { fileURLToPath } from 'node:url';
import { createLogger } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import type { TrussetErrorBody, TrussetErrorMetadata } from '@portcullis/errors';
import type { FieldProblem } from '@portcullis/routes';
import { appSuites, auditApps, connectAppRedis, listen, readJson, type Served } from '@portcullis/testing';
import { inject } from 'vitest';
import { createApp } from '../src/app.js';
import { type BuildDepsOptions, buildDeps } from '../src/deps.js';
import type { CreatedInstanceView } from '../src/schemas.js';

export type {
  ApiKeyView,
  CreatedInstanceView,
  CreatedKeyView,
  InstanceView,
  InstanceWithCountsView,
  InstanceWithStatsView,
  MessageView,
  RotationView,
} from '../src/schemas.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Every answer of every app this file starts is checked against the document the app serves, and
 * no log line may hold the operator token or anything shaped like an instance key (the keys the
 * apps answered with included), asserted after the file's tests.
 */
const audit = auditApps({
  secrets: [ADMIN_TOKEN],
  secretPatterns: [/trusset_(?:v2_)?[A-Za-z0-9]{8}_[0-9a-f]{64}/g],
  // A path under /api/v2 that no route serves is authenticated (and its address's budget checked)
  // before routing, like every /api/v2 path: 401 or 429 before the 404.
  undocumentedStatuses: [401, 404, 405, 429],
});

/** A migrated embedded database in memory. */
export async function pgliteDatabase(): Promise<Database> {
  const db = await createDatabase({ dataDir: 'memory://' });
  await migrate(db, { directory: MIGRATIONS });
  return db;
}

export interface RunningApp {
  url: string;
  deps: ReturnType<typeof buildDeps>;
  /** `fetch` against this app with the admin token. */
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** `fetch` against this app with an instance key. */
  withKey(key: string, path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
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

export interface StartOptions extends Partial<Omit<BuildDepsOptions, 'db' | 'logger' | 'adminToken'>> {
  db: Database;
  /** Connects this app to Redis (two connections, as a process would). */
  redisUrl?: string;
  /** Changes the wired collaborators before the app is built (e.g. recording limiters). */
  instrument?: (deps: ReturnType<typeof buildDeps>) => void;
}

/** Starts one app process-equivalent on a free port: its own cache, limiters and connections. */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { redisUrl, db, instrument, ...rest } = options;
  const { redis, subscriber, disconnect } = await connectAppRedis(redisUrl);
  const deps = buildDeps({
    db,
    redis,
    subscriber,
    adminToken: ADMIN_TOKEN,
    logger: createLogger({ app: 'instance-api', level: 'debug', destination: audit.logDestination() }),
    limits: { keyPerMin: 10_000, ipPerMin: 10_000, keyMgmtPerMin: 10_000, authPer15Min: 10_000 },
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

  const request =
    (headers: Record<string, string>) =>
    (path: string, init: RequestInit & { json?: unknown } = {}) => {
      const { json, ...rest } = init;
      const merged: Record<string, string> = { ...headers, ...(rest.headers as Record<string, string>) };
      if (json !== undefined) merged['content-type'] = 'application/json';
      return fetch(`${served.url}${path}`, {
        ...rest,
        headers: merged,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    };

  return {
    url: served.url,
    deps,
    admin: request({ authorization: `Bearer ${ADMIN_TOKEN}` }),
    withKey: (key, path, init) => request({ 'x-api-key': key })(path, init),
    close: stop,
    cutRedis: disconnect,
    crash() {
      disconnect();
      return stop();
    },
  };
}

/** Creates an instance through the operator API; returns its id and first key. */
export async function createInstance(
  app: RunningApp,
  body: Record<string, unknown> = { name: 'Acme' },
): Promise<{ id: string; instanceRef: string; apiKey: string }> {
  const res = await app.admin('/admin/instances', { method: 'POST', json: body });
  if (res.status !== 201) throw new Error(`instance create failed: ${res.status} ${await res.text()}`);
  const { data } = await envelope<CreatedInstanceView>(res);
  return { id: data.instance.id, instanceRef: data.instance.instanceRef, apiKey: data.apiKey };
}

// The envelope as these tests read it: the published objects inside come from src/schemas.ts,
// and every answer is also checked against the served document (see `audit` above).

/** `error` of an error envelope; `details` as `VALIDATION_ERROR` lists them (readyz: an object). */
type ApiError = Omit<TrussetErrorBody['error'], 'details'> & { details?: FieldProblem[] };

/** `metadata` of either envelope: `total` on lists, `retryAfter` on 429. */
type Metadata = TrussetErrorMetadata & { total?: number };

/** The Trusset envelope every JSON response uses. */
export interface Envelope<D> {
  success: boolean;
  data: D;
  error: ApiError | null;
  metadata: Metadata;
}

/** An error envelope: `data` is null and `error` is set. */
export interface ErrorEnvelope extends Envelope<null> {
  error: ApiError;
}

/**
 * Reads a response as the Trusset envelope with `data` of type `D`: the test's statement of the
 * shape it expects; the assertions that follow check it.
 *
 * @example
 * const { data } = await envelope<ApiKeyView[]>(await app.withKey(key, '/api/v2/instance/api-keys'));
 */
export async function envelope<D>(res: Response): Promise<Envelope<D>> {
  return readJson<Envelope<D>>(res);
}

/**
 * Reads a response that must be an error envelope; throws (failing the test) when `error` is null.
 *
 * @example
 * expect((await errorEnvelope(res)).error.code).toBe('NOT_FOUND');
 */
export async function errorEnvelope(res: Response): Promise<ErrorEnvelope> {
  const body = await envelope<null>(res);
  if (body.error === null) throw new Error(`expected an error envelope, got HTTP ${res.status}`);
  return { ...body, error: body.error };
}

/**
 * `items[index]`, or a thrown error (failing the test) when there is no such item: lets a test
 * read an item under `noUncheckedIndexedAccess` without a non-null assertion.
 *
 * @example
 * const defaultId = itemAt(keys, 0).id;
 */
export function itemAt<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new Error(`expected an item at index ${index}, got ${items.length} items`);
  return item;
}

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
