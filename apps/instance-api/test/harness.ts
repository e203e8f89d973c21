import { fileURLToPath } from 'node:url';
import { createLogger } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import type { TrussetErrorBody, TrussetErrorMetadata } from '@portcullis/errors';
import type { FieldProblem } from '@portcullis/routes';
import { appSuites, auditApps, connectAppRedis, listen, readJson, type Served } from '@portcullis/testing';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { createApp } from '../src/app.js';
import type { CustomerView } from '../src/core/customers/schemas.js';
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

/** A request's options as the harness sends them: `json`, when given, is sent as the JSON body. */
export type RequestOptions = RequestInit & { json?: unknown };

export interface RunningApp {
  url: string;
  deps: ReturnType<typeof buildDeps>;
  /** `fetch` against this app with the admin token. */
  admin(path: string, init?: RequestOptions): Promise<Response>;
  /** `fetch` against this app with an instance key. */
  withKey(key: string, path: string, init?: RequestOptions): Promise<Response>;
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
    (path: string, init: RequestOptions = {}) => {
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

/** The app of a suite (see {@link useApp}), with the embedded database it runs on. */
export interface SuiteApp extends RunningApp {
  /** The migrated embedded database the app runs on. */
  readonly db: Database;
}

/**
 * One app on a fresh migrated embedded database for the enclosing suite (the file, or the
 * `describe` it is called in): started before its tests, closed (app, then database) after them.
 * The returned object stands for the running app; use it inside tests and hooks only, where the
 * app is started.
 *
 * @example
 * const app = useApp();
 * it('…', async () => { const { apiKey } = await createInstance(app); … app.db … });
 */
export function useApp(options: Omit<StartOptions, 'db'> = {}): SuiteApp {
  let db: Database | undefined;
  let app: RunningApp | undefined;
  beforeAll(async () => {
    db = await pgliteDatabase();
    app = await startApp({ ...options, db });
  });
  afterAll(async () => {
    await app?.close();
    await db?.close();
  });
  const running = (): RunningApp => {
    if (app === undefined) throw new Error('useApp: the app is started before the tests, not yet');
    return app;
  };
  return {
    get db() {
      if (db === undefined) throw new Error('useApp: the database is opened before the tests, not yet');
      return db;
    },
    get url() {
      return running().url;
    },
    get deps() {
      return running().deps;
    },
    admin: (path, init) => running().admin(path, init),
    withKey: (key, path, init) => running().withKey(key, path, init),
    close: () => running().close(),
    cutRedis: () => running().cutRedis(),
    crash: () => running().crash(),
  };
}

/** Requests under one base path with one instance key; see {@link keyClient}. */
export interface KeyClient {
  /** `fetch` of `base + path` with the key. */
  call(path: string, init?: RequestOptions): Promise<Response>;
  /** `POST` of `json` to `base + path` with the key. */
  post(path: string, json: unknown): Promise<Response>;
}

/**
 * Requests against `app` under `base` with `apiKey`: how a service's tests call its routes.
 *
 * @example
 * const { call, post } = keyClient(app, inst.apiKey, '/lending-stocks/api');
 * await post('/markets', { stockTokenAddress, collateralFactor: '0.5', price: '100' });
 */
export function keyClient(app: RunningApp, apiKey: string, base = ''): KeyClient {
  const call = (path: string, init?: RequestOptions) => app.withKey(apiKey, `${base}${path}`, init);
  return { call, post: (path, json) => call(path, { method: 'POST', json }) };
}

/**
 * Creates a customer in the instance of `apiKey` through the customers API, asserting the 201;
 * returns it.
 *
 * @example
 * const alice = await createCustomer(app, inst.apiKey, { name: 'Alice' });
 */
export async function createCustomer(
  app: RunningApp,
  apiKey: string,
  json: Record<string, unknown>,
): Promise<CustomerView> {
  const res = await app.withKey(apiKey, '/customers/api/manage', { method: 'POST', json });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await envelope<CustomerView>(res)).data;
}

/**
 * Creates `count` customers named C0, C1, … one after the other in the instance of `apiKey`;
 * returns their ids in that order.
 *
 * @example
 * const [seller, buyer] = await createCustomerIds(app, inst.apiKey, 2);
 */
export async function createCustomerIds(app: RunningApp, apiKey: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await createCustomer(app, apiKey, { name: `C${i}` })).id);
  return ids;
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
 * Asserts that a response is the error envelope with `status` and `code` (and `message`, when
 * given); returns the envelope for further checks.
 *
 * @example
 * await expectError(await call('/tokens/0x1'), 404, 'TOKEN_NOT_FOUND');
 */
export async function expectError(
  res: Response,
  status: number,
  code: string,
  message?: string,
): Promise<ErrorEnvelope> {
  const body = await errorEnvelope(res);
  expect([res.status, body.error.code]).toEqual([status, code]);
  expect([body.success, body.data]).toEqual([false, null]);
  if (message !== undefined) expect(body.error.message).toBe(message);
  return body;
}

/**
 * Asserts that a response is a 400 `VALIDATION_ERROR` naming at least `fields` (it may name
 * more); returns the envelope.
 *
 * @example
 * await expectFields(await post('/markets', { price: '-1' }), ['price', 'stockTokenAddress']);
 */
export async function expectFields(res: Response, fields: string[]): Promise<ErrorEnvelope> {
  const body = await expectError(res, 400, 'VALIDATION_ERROR');
  const named = (body.error.details ?? []).map((problem) => problem.field);
  expect(named).toEqual(expect.arrayContaining(fields));
  return body;
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
