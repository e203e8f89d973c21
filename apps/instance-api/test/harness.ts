import { fileURLToPath } from 'node:url';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import { createLogger } from '@portcullis/service';
import { connectAppRedis, lineSink, listen, readJson, type Served } from '@portcullis/testing';
import { createApp } from '../src/app.js';
import { type BuildDepsOptions, buildDeps } from '../src/deps.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** Every log line written by every app started in this test file (checked for leaked secrets). */
export const capturedLogs: string[] = [];

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
  const sink = lineSink(capturedLogs);
  const deps = buildDeps({
    db,
    redis,
    subscriber,
    adminToken: ADMIN_TOKEN,
    logger: createLogger({ app: 'instance-api', level: 'debug', destination: sink }),
    limits: { keyPerMin: 10_000, ipPerMin: 10_000, keyMgmtPerMin: 10_000, authPer15Min: 10_000 },
    ...rest,
  });
  instrument?.(deps);
  await deps.keyCache.start();
  const served: Served = await listen(createApp(deps).callback());
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
  const { data } = await envelope<CreatedInstanceData>(res);
  return { id: data.instance.id, instanceRef: data.instance.instanceRef, apiKey: data.apiKey };
}

/** What a leaked instance key or the admin token would look like in a log line. */
export function findSecretsInLogs(): string[] {
  const keyPattern = /trusset_(?:v2_)?[A-Za-z0-9]{8}_[0-9a-f]{64}/g;
  return capturedLogs.flatMap((line) => [
    ...(line.match(keyPattern) ?? []),
    ...(line.includes(ADMIN_TOKEN) ? [ADMIN_TOKEN] : []),
  ]);
}

// Response shapes of this app, written out here rather than imported from src/ so that a change to
// the published JSON (SPEC §4.1, §4.3, §4.4) shows up as a test or type failure, not a silent drift.

/** One problem of a `VALIDATION_ERROR` (SPEC §4.1; src/validation.ts). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** `error` of a Trusset error envelope (SPEC §4.1; @portcullis/errors render/trusset.ts). */
export interface ApiError {
  code: string;
  message: string;
  /** Only `VALIDATION_ERROR` carries details in the routes these tests call. */
  details?: FieldProblem[];
}

/** `metadata` of either envelope (SPEC §4.1, §4.5, §4.6). */
export interface Metadata {
  requestId: string;
  /** ISO-8601. */
  timestamp: string;
  /** Present once the caller is authenticated with an instance key. */
  instanceId?: string;
  /** List endpoints: number of items. */
  total?: number;
  /** Seconds; 429 responses only. */
  retryAfter?: number;
}

/** The Trusset envelope every JSON response uses (SPEC §4.1). */
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

export type InstanceType = 'DEVELOPMENT' | 'PRODUCTION';
export type KeyStatus = 'ACTIVE' | 'PAUSED' | 'PENDING_ROTATION' | 'EXPIRED' | 'REVOKED';

/** The published instance object (SPEC §4.3; `instanceView` in src/store/instances.ts). */
export interface InstanceData {
  id: string;
  name: string;
  type: InstanceType;
  instanceRef: string;
  services: Array<{ id: string; enabled: boolean }>;
  archived: boolean;
  createdAt: string;
  limits: { maxApiKeys: number };
}

/** Keys of an instance by the status they have at request time (SPEC §4.3). */
export interface KeyCounts {
  total: number;
  active: number;
  paused: number;
  pendingRotation: number;
  expired: number;
  revoked: number;
}

/** `GET /admin/instances` items and `GET /admin/instances/:id`. */
export interface InstanceWithCounts extends InstanceData {
  keys: KeyCounts;
}

/** `GET /api/v2/instance`: the caller's own instance. */
export interface InstanceWithStats extends InstanceData {
  stats: { apiKeys: KeyCounts };
}

/** `POST /admin/instances` (201): the instance and its Default key, shown once. */
export interface CreatedInstanceData {
  instance: InstanceData;
  apiKey: string;
}

/** The published key object, never the key itself (SPEC §4.4; `apiKeyView` in src/store/api-keys.ts). */
export interface KeyView {
  id: string;
  name: string;
  keyPreview: string;
  status: KeyStatus;
  lastUsedAt: string | null;
  createdAt: string;
  expiresAt: string | null;
  pausedUntil: string | null;
}

/** `POST /api/v2/instance/api-keys` (201): the new key, shown once. */
export interface CreatedKeyData {
  id: string;
  key: string;
  name: string;
  status: KeyStatus;
  createdAt: string;
}

/** `POST /api/v2/instance/api-keys/:keyId/rotate`. */
export interface RotationData {
  oldKeyId: string;
  newKeyId: string;
  newKey: string;
  /** ISO-8601. */
  overlapEndDate: string;
}

/** Revoke and delete answers. */
export interface MessageData {
  message: string;
}

/**
 * Reads a response as the Trusset envelope with `data` of type `D`: the test's statement of the
 * shape it expects; the assertions that follow check it.
 *
 * @example
 * const { data } = await envelope<KeyView[]>(await app.withKey(key, '/api/v2/instance/api-keys'));
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
