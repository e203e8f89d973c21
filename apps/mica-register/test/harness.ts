import { fileURLToPath } from 'node:url';
import { createLogger } from '@portcullis/app-kit';
import { createDatabase, type Database, migrate } from '@portcullis/db';
import {
  connectAppRedis,
  describeTwoProcesses,
  lineSink,
  listen,
  readJson,
  responseCheck,
  type Served,
  type TwoProcessCluster,
} from '@portcullis/testing';
import { afterAll, expect } from 'vitest';
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

export const MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** Every log line written by every app started in this test file. */
const capturedLogs: string[] = [];
/** Every key and management token an app of this test file issued (none may reach a log). */
const issuedSecrets = new Set<string>();
/** Reads of answers still looking for secrets. */
const pending = new Set<Promise<void>>();
/** Every answer of every app of this test file, held against the document the app serves. */
const responses = responseCheck();
let started = 0;

afterAll(async () => {
  expect(responses.problems).toEqual([]);
  await Promise.all(pending);
  if (started > 0) {
    expect(responses.checked).toBeGreaterThan(0);
    expect(capturedLogs.length).toBeGreaterThan(0);
  }
  expect(findSecretsInLogs([...issuedSecrets])).toEqual([]);
});

/** Keeps the keys and tokens a developer answer carries, to look for them in the logs. */
function collectSecrets(res: Response): void {
  if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('application/json')) return;
  const read = res
    .clone()
    .json()
    .then(
      (body: unknown) => {
        const carried = (body ?? {}) as { apiKey?: unknown; managementToken?: unknown };
        for (const secret of [carried.apiKey, carried.managementToken])
          if (typeof secret === 'string') issuedSecrets.add(secret);
      },
      () => undefined,
    )
    .finally(() => pending.delete(read));
  pending.add(read);
}

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
  const sink = lineSink(capturedLogs);
  const deps = buildDeps({
    db,
    redis,
    subscriber,
    logger: createLogger({ app: 'mica-register', level: 'debug', destination: sink }),
    // The published per-key limits (60/min, 5 000/day); registrations and failed management-token
    // attempts unbounded so tests can make many developers and wrong tokens from one address.
    limits: { registerPer15Min: 10_000, managementAuthPer15Min: 10_000, ...limits },
    ...rest,
  });
  instrument?.(deps);
  await deps.keyCache.start();
  const served: Served = await listen(responses.wrap(createApp(deps).callback()));
  responses.use(await readJson(await fetch(`${served.url}/openapi.json`)));
  started += 1;
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
      const res = await fetch(`${served.url}${path}`, {
        ...other,
        headers: merged,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
      if (path.startsWith('/api/mica/developer/')) collectSecrets(res);
      return res;
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

/** What a leaked MiCA key or management token would look like in a log line. */
function findSecretsInLogs(secrets: readonly string[]): string[] {
  const pattern = /trusset_mica_[0-9a-f]{48}/g;
  return capturedLogs.flatMap((line) => [
    ...(line.match(pattern) ?? []),
    ...secrets.filter((secret) => line.includes(secret)),
  ]);
}

/**
 * A suite over two app processes sharing one Postgres schema and one private `redis-server`, each
 * started with `options` (the shared fixture of `@portcullis/testing`).
 *
 * @example
 * describeCluster('two processes', {}, (cluster) => { it('…', async () => { cluster.a … cluster.b … }); });
 */
export function describeCluster(
  title: string,
  options: Omit<StartOptions, 'db' | 'redisUrl'>,
  body: (cluster: TwoProcessCluster<Database, RunningApp>) => void,
): void {
  describeTwoProcesses(
    title,
    {
      open: (url) => createDatabase({ url, poolMax: 20 }),
      prepare: (db) => migrate(db, { directory: MIGRATIONS }),
      start: (db, redisUrl) => startApp({ ...options, db, redisUrl }),
    },
    body,
  );
}
