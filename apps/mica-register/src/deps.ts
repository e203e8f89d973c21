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
import { findMicaAuthRow, type MicaAuthRow, recordKeyUsage } from './store/developers.js';

export interface BuildDepsOptions {
  db: Database;
  /** Command connection; omit for single-node mode (in-process cache and limits). */
  redis?: Redis | undefined;
  /** Subscriber connection for cache invalidations; required with `redis`. */
  subscriber?: Redis | undefined;
  logger: Logger;
  now?: () => number;
  limits?: Partial<{
    perMinute: number;
    perDay: number;
    registerPer15Min: number;
    managementAuthPer15Min: number;
  }>;
  /** L1 settings of the key cache; `false` turns L1 off. */
  l1?: { ttlMs?: number; maxEntries?: number } | false;
  /** Flush interval of batched key usage, ms. Default 60 000. */
  usageFlushMs?: number;
  registerCacheTtlMs?: number;
  trustProxy?: boolean;
  /** `TRUST_PROXY_HOPS`: how many proxies append to `X-Forwarded-For` (default 1). */
  trustProxyHops?: number;
  /** Namespace of Redis keys, so several deployments (or test files) can share one Redis. */
  redisPrefix?: string;
  /** `PUBLIC_URL`, for the OpenAPI document's server (SPEC §1). */
  publicUrl?: string;
  /**
   * The built web console (`index.html` and `assets/`). Default: `console/` beside this module,
   * i.e. `dist/console`, where `pnpm build` writes it. Tests build one into a temporary directory.
   */
  consoleDir?: string;
}

/**
 * Wires the MiCA app's collaborators from injected clients. Starts nothing: call `start()` on
 * `keyCache` and `usage` (server.ts does).
 *
 * @example
 * const deps = buildDeps({ db, redis, subscriber, logger });
 */
export function buildDeps(options: BuildDepsOptions): AppDeps {
  const { db, redis, subscriber, logger } = options;
  const now = options.now ?? Date.now;
  const prefix = options.redisPrefix ?? 'pc:mica';
  const metrics = createMetrics();

  const keyCache = createKeyCache<MicaAuthRow>({
    load: (digest) => findMicaAuthRow(db, digest),
    redis,
    subscriber,
    namespace: `${prefix}:key`,
    // Filled by triggers (migration 0003) in the same transaction as every developer key change:
    // every process relays it to Redis, so no invalidation is lost (SPEC §8).
    outbox: createSqlOutbox(db),
    ...(options.l1 === undefined ? {} : { l1: options.l1 }),
    onEvent: reportCacheEvents(logger, metrics),
  });
  observeKeyCache(metrics, keyCache);

  const limits = {
    perMinute: 60,
    perDay: 5000,
    registerPer15Min: 15,
    managementAuthPer15Min: 15,
    ...options.limits,
  };
  const onStoreError = (error: Error) => logger.warn({ err: error.message }, 'rate limiter store failed');
  const refusals = countRateLimitRefusals(metrics);
  const limiter = (name: string, limit: number, windowMs: number) =>
    createWindowLimiter({
      limit,
      windowMs,
      prefix: `${prefix}:rl:${name}`,
      redis,
      now,
      onStoreError,
      onRefused: refusals(name),
    });

  const usage = createUsageBatcher({
    write: (batch) => recordKeyUsage(db, batch),
    ...(options.usageFlushMs === undefined ? {} : { intervalMs: options.usageFlushMs }),
    onError: (error) =>
      logger.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'key usage flush failed'),
  });

  return {
    db,
    keyCache,
    usage,
    limiters: {
      perMinute: limiter('minute', limits.perMinute, 60_000),
      perDay: limiter('day', limits.perDay, 86_400_000),
      register: limiter('register', limits.registerPer15Min, 900_000),
      managementAuthFailures: limiter('mgmt-auth', limits.managementAuthPer15Min, 900_000),
    },
    now,
    logger,
    metrics,
    authOutcomes: countAuthOutcomes(metrics),
    checks: readinessChecks(db, redis),
    ...(options.registerCacheTtlMs === undefined ? {} : { registerCacheTtlMs: options.registerCacheTtlMs }),
    trustProxy: options.trustProxy ?? false,
    trustProxyHops: options.trustProxyHops ?? 1,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    console: loadConsole(options.consoleDir ?? fileURLToPath(new URL('./console', import.meta.url))),
  };
}
