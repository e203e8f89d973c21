import { randomBytes } from 'node:crypto';
import type { RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import type { TcsErrorBody } from '@portcullis/errors';
import { createPasswordHasher, type PasswordHasherOptions } from '@portcullis/hashing';
import { appSuites, auditApps, connectAppRedis, listen, readJson, type Served } from '@portcullis/testing';
import type { JWK } from 'jose';
import { expect } from 'vitest';
import { createApp } from '../src/app.js';
import { type LocalCa, loadOrCreateCa } from '../src/crypto/ca.js';
import { generateDidKey } from '../src/crypto/did-key.js';
import { createSealer } from '../src/crypto/seal.js';
import { type BuildDepsOptions, buildDeps } from '../src/deps.js';
import type { CreatedTenantView } from '../src/routes/admin-tenants.js';
import type { AccessTokenView } from '../src/routes/auth.js';
import type { DidView, TenantView } from '../src/schemas.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));
/** One key-encryption key per test run, shared by every app of a file (as processes share one). */
const KEY_ENCRYPTION_KEY = new Uint8Array(randomBytes(32));
/**
 * Real argon2id with small costs, so suites stay fast: the production parameters are the
 * hashing package's defaults and are exercised by its own tests and the benchmark.
 */
export const TEST_ARGON2: PasswordHasherOptions = { memoryCostKiB: 1024, timeCost: 1, parallelism: 1 };

/**
 * Every answer of every app this file starts is checked against the document the app serves, and
 * no log line may hold a secret of the file, asserted after the file's tests: the admin token, any
 * TCS API key, and every API key, initial password and access token an app answered with; tests
 * add the secrets they make themselves (passwords, private keys) to {@link issuedSecrets}.
 */
const audit = auditApps({
  secrets: [ADMIN_TOKEN],
  secretPatterns: [/tcs_[A-Za-z0-9]{1,16}_[0-9a-f]{48}/g],
  secretFields: ['apiKey', 'initialPassword', 'access_token'],
});
/** Every secret of this test file; none may appear in a log line. */
export const issuedSecrets = audit.secrets;

let caOfFile: Promise<LocalCa> | undefined;
/** The local CA of this test file's apps (processes of one deployment share their DATA_DIR). */
function fileCa(): Promise<LocalCa> {
  caOfFile ??= loadOrCreateCa({
    dataDir: undefined,
    sealer: createSealer(KEY_ENCRYPTION_KEY),
    now: Date.now,
  });
  return caOfFile;
}

/** A migrated embedded database in memory. */
export async function pgliteDatabase(): Promise<Database> {
  const db = await createDatabase({ dataDir: 'memory://' });
  await migrate(db, { directory: MIGRATIONS });
  return db;
}

type Init = Omit<RequestInit, 'headers'> & { json?: unknown; headers?: Record<string, string> };

export interface RunningApp {
  url: string;
  deps: ReturnType<typeof buildDeps>;
  /** `fetch` against this app, with `json` encoded and extra headers. */
  request(path: string, init?: Init): Promise<Response>;
  /** `fetch` with the operator token. */
  admin(path: string, init?: Init): Promise<Response>;
  close(): Promise<void>;
  /** Cuts this app's Redis connections for good, as a network partition would. */
  cutRedis(): void;
  /**
   * Stops this app as a crash would, for the lost-invalidation tests: its Redis connections are
   * cut first, so nothing it still holds in memory can be published; then it stops serving and
   * its cache stops relaying. `close()` afterwards does nothing more.
   */
  crash(): Promise<void>;
}

export interface StartOptions
  extends Partial<Omit<BuildDepsOptions, 'db' | 'logger' | 'adminToken' | 'publicUrl' | 'keyEncryptionKey'>> {
  db: Database;
  /** Connects this app to Redis (two connections, as a process would). */
  redisUrl?: string;
  /** argon2 options of the app's hasher (default {@link TEST_ARGON2}); ignored with `hasher`. */
  argon2?: PasswordHasherOptions;
  /** `PUBLIC_URL`: a fixed one by default; `'self'` for the app's own loopback URL. */
  publicUrl?: string;
  /** Changes the wired collaborators before the app is built (e.g. recording limiters). */
  instrument?: (deps: ReturnType<typeof buildDeps>) => void;
}

/** Starts one app process-equivalent on a free port: its own cache, limiters, keys and connections. */
export async function startApp(options: StartOptions): Promise<RunningApp> {
  const { redisUrl, db, argon2, publicUrl, instrument, ...rest } = options;
  const { redis, subscriber, disconnect } = await connectAppRedis(redisUrl);
  // Listening first, so `publicUrl: 'self'` can name the app's own address (wallet clients fetch
  // the metadata and endpoints the app announces).
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const served: Served = await listen((req, res) => handler(req, res));
  const deps = buildDeps({
    db,
    redis,
    subscriber,
    adminToken: ADMIN_TOKEN,
    keyEncryptionKey: KEY_ENCRYPTION_KEY,
    ca: await fileCa(),
    publicUrl: publicUrl === 'self' ? served.url : (publicUrl ?? 'https://tcs.example.test'),
    logger: createLogger({ app: 'tcs-issuer', level: 'debug', destination: audit.logDestination() }),
    hasher: createPasswordHasher(argon2 ?? TEST_ARGON2),
    limits: { loginFailuresPer15Min: 10_000, adminAuthPer15Min: 10_000 },
    ...rest,
  });
  instrument?.(deps);
  await deps.keyCache.start();
  await deps.tokens.start();
  const watched = audit.watch(createApp(deps).callback());
  handler = watched.handler;
  await watched.useDocument(served.url);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await served.close();
      await deps.keyCache.close();
      disconnect();
    })();
    return stopped;
  };

  const request = (path: string, init: Init = {}) => {
    const { json, headers = {}, ...other } = init;
    const merged: Record<string, string> = { ...headers };
    if (json !== undefined) merged['content-type'] = 'application/json';
    return fetch(`${served.url}${path}`, {
      ...other,
      headers: merged,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  return {
    url: served.url,
    deps,
    request,
    admin: (path, init = {}) =>
      request(path, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers } }),
    close: stop,
    cutRedis: disconnect,
    crash() {
      disconnect();
      return stop();
    },
  };
}

export const body = <T>(res: Response) => readJson<T>(res);

/** The TCS error body `{ statusCode, message, error }`. */
export type TcsError = TcsErrorBody;
export type { DidView, TenantView } from '../src/schemas.js';
export type CreatedTenant = CreatedTenantView;
export type TokenResponse = AccessTokenView;

let slugSeq = 0;
/** A slug unique within the run. */
export function uniqueSlug(prefix = 'tenant'): string {
  slugSeq += 1;
  return `${prefix}-${process.pid}-${slugSeq}`.slice(0, 32);
}

/** Creates a tenant through the operator API (pending). */
export async function createTenant(
  app: RunningApp,
  overrides: Record<string, unknown> = {},
): Promise<CreatedTenant> {
  const res = await app.admin('/admin/tenants', {
    method: 'POST',
    json: {
      slug: uniqueSlug(),
      organizationName: 'Acme Credentials',
      ownerEmail: 'owner@acme.example',
      signingProfile: 'eddsa_did',
      ...overrides,
    },
  });
  if (res.status !== 201) throw new Error(`tenant create failed: ${res.status} ${await res.text()}`);
  const created = await body<CreatedTenant>(res);
  issuedSecrets.add(created.apiKey).add(created.initialPassword);
  return created;
}

/** Runs an operator action (`approve`, `suspend`) and checks it succeeded. */
export async function tenantAction(app: RunningApp, slug: string, action: 'approve' | 'suspend') {
  const res = await app.admin(`/admin/tenants/${slug}/${action}`, { method: 'POST' });
  if (res.status !== 200) throw new Error(`${action} failed: ${res.status} ${await res.text()}`);
  return (await body<{ tenant: TenantView }>(res)).tenant;
}

/** Creates and approves a tenant, then logs in: everything a tenant's own calls need. */
export async function approvedTenant(app: RunningApp, overrides: Record<string, unknown> = {}) {
  const created = await createTenant(app, overrides);
  await tenantAction(app, created.tenant.slug, 'approve');
  const token = await login(app, created.uuid, created.initialPassword);
  return { ...created, token };
}

/** Logs in and returns the access token (throws unless 200). */
export async function login(app: RunningApp, uuid: string, password: string): Promise<string> {
  const res = await app.request('/v1/auth/login', { method: 'POST', json: { uuid, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { access_token } = await body<TokenResponse>(res);
  issuedSecrets.add(access_token);
  return access_token;
}

/** A private JWK with its `d`. */
export type PrivateJwk = JWK & { d: string };

/** A fresh key pair and its did:key; `d` is registered as a secret for the log check. */
export async function didKeyPair(
  algorithm: 'EdDSA' | 'ES256',
): Promise<{ did: string; privateJwk: PrivateJwk }> {
  const { didKey, privateJwk } = await generateDidKey(algorithm);
  const d = privateJwk.d as string;
  issuedSecrets.add(d);
  return { did: didKey.did, privateJwk: { ...privateJwk, d } };
}

/** The DIDs of the token's tenant, through `GET /v1/did` (expects a 200). */
export async function listDidsOf(app: RunningApp, token: string): Promise<DidView[]> {
  const res = await app.request('/v1/did', { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await body<{ dids: DidView[] }>(res)).dids;
}

/** The one item of a list (fails unless there is exactly one). */
export function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
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
  { together: true },
);
