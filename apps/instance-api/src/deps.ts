import { fileURLToPath } from 'node:url';
import {
  countAuthOutcomes,
  countRateLimitRefusals,
  createMetrics,
  observeKeyCache,
  readinessChecks,
  reportCacheEvents,
} from '@portcullis/app-kit';
import { loadConsole } from '@portcullis/console-ui';
import type { Database } from '@portcullis/db';
import { createKeyCache, createSqlOutbox, createUsageBatcher } from '@portcullis/key-cache';
import { createWindowLimiter } from '@portcullis/koa-auth';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AppDeps } from './app.js';
import { type AuthRow, findAuthRow, recordLastUsed } from './store/api-keys.js';

export interface BuildDepsOptions {
  db: Database;
  /** Command connection; omit for single-node mode (in-process cache and limits). */
  redis?: Redis | undefined;
  /** Subscriber connection for cache invalidations; required with `redis`. */
  subscriber?: Redis | undefined;
  adminToken: string;
  logger: Logger;
  now?: () => number;
  limits?: Partial<{ keyPerMin: number; ipPerMin: number; keyMgmtPerMin: number; authPer15Min: number }>;
  /** L1 settings of the key cache; `false` turns L1 off (benchmarks of the L2 path). */
  l1?: { ttlMs?: number; maxEntries?: number } | false;
  /** Flush interval of batched `lastUsedAt`, ms. Default 60 000 (SPEC §4.4: at most once a minute). */
  usageFlushMs?: number;
  trustProxy?: boolean;
  /** `TRUST_PROXY_HOPS`: how many proxies append to `X-Forwarded-For` (default 1). */
  trustProxyHops?: number;
  /** Namespace of Redis keys, so several deployments (or test files) can share one Redis. */
  redisPrefix?: string;
  /** `PUBLIC_URL`, for the OpenAPI document's server (SPEC §1). */
  publicUrl?: string;
  /**
   * Where rate-limit counters live: `redis` (default when `redis` is given: exact across
   * processes) or `memory` (per process).
   */
  limitStore?: 'redis' | 'memory';
  /**
   * The built web console (`index.html` and `assets/`). Default: `console/` beside this module,
   * i.e. `dist/console`, where `pnpm build` writes it. Tests build one into a temporary directory.
   */
  consoleDir?: string;
  /** `TOKEN_FACTORY_ADDRESS`: the factory tokenization's deploy payloads call (see `AppDeps`). */
  tokenFactoryAddress?: string | undefined;
}

/**
 * Wires the app's collaborators from injected clients. Starts nothing: call `start()` on the
 * result's `keyCache` and `usage` (server.ts does).
 *
 * @example
 * const deps = buildDeps({ db, redis, subscriber, adminToken, logger });
 * await deps.keyCache.start(); deps.usage.start();
 */
export function buildDeps(options: BuildDepsOptions): AppDeps {
  const { db, redis, subscriber, logger } = options;
  const now = options.now ?? Date.now;
  const prefix = options.redisPrefix ?? 'pc:ia';
  const metrics = createMetrics();
  const keyCache = createKeyCache<AuthRow>({
    load: (digest) => findAuthRow(db, digest),
    redis,
    subscriber,
    namespace: `${prefix}:key`,
    // Filled by triggers (migration 0002) in the same transaction as every key or instance change:
    // every process relays it to Redis, so no invalidation is lost (SPEC §8).
    outbox: createSqlOutbox(db),
    ...(options.l1 === undefined ? {} : { l1: options.l1 }),
    onEvent: reportCacheEvents(logger, metrics),
  });
  observeKeyCache(metrics, keyCache);

  const limits = {
    keyPerMin: 200,
    ipPerMin: 100,
    keyMgmtPerMin: 30,
    authPer15Min: 15,
    ...options.limits,
  };
  const onStoreError = (error: Error) => logger.warn({ err: error.message }, 'rate limiter store failed');
  const limiterRedis = options.limitStore === 'memory' ? undefined : redis;
  const refusals = countRateLimitRefusals(metrics);
  const limiter = (name: string, limit: number, windowMs: number) =>
    createWindowLimiter({
      limit,
      windowMs,
      prefix: `${prefix}:rl:${name}`,
      redis: limiterRedis,
      now,
      onStoreError,
      onRefused: refusals(name),
    });

  const usage = createUsageBatcher({
    write: (batch) => recordLastUsed(db, batch),
    ...(options.usageFlushMs === undefined ? {} : { intervalMs: options.usageFlushMs }),
    onError: (error) =>
      logger.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'lastUsedAt flush failed'),
  });

  return {
    db,
    keyCache,
    usage,
    limiters: {
      perKey: limiter('key', limits.keyPerMin, 60_000),
      perIp: limiter('ip', limits.ipPerMin, 60_000),
      keyManagement: limiter('mgmt', limits.keyMgmtPerMin, 60_000),
      adminAuthFailures: limiter('admin', limits.authPer15Min, 900_000),
    },
    adminToken: options.adminToken,
    now,
    logger,
    metrics,
    authOutcomes: countAuthOutcomes(metrics),
    checks: readinessChecks(db, redis),
    trustProxy: options.trustProxy ?? false,
    trustProxyHops: options.trustProxyHops ?? 1,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    ...(options.tokenFactoryAddress === undefined
      ? {}
      : { tokenFactoryAddress: options.tokenFactoryAddress.toLowerCase() }),
    console: loadConsole(options.consoleDir ?? fileURLToPath(new URL('./console', import.meta.url))),
  };
}
