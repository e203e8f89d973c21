import type { AuthOutcomeHook, LimitResult } from '@portcullis/koa-auth';
import type { Logger } from 'pino';
import { Counter as PromCounter, Gauge as PromGauge } from 'prom-client';
import type { CounterSeries, Metrics } from './metrics.js';

/** The shape of `@portcullis/key-cache` events this module reports (kept structural: no dependency). */
export type CacheEvent =
  | { type: 'redis-error'; operation: string; error: Error }
  | { type: 'breaker'; state: string }
  | { type: 'outbox-error'; error: Error }
  | { type: 'invalidation-received'; count: number }
  | { type: 'resync'; reason: string };

/**
 * An `onEvent` handler for a key cache: counts Redis failures in `key_cache_redis_errors_total`
 * and failures to relay the invalidation outbox in `key_cache_outbox_errors_total`, and logs
 * them and breaker changes at `warn` (events carry no secrets).
 *
 * @example
 * createKeyCache({ load, redis, subscriber, onEvent: reportCacheEvents(logger, metrics) });
 */
export function reportCacheEvents(logger: Logger, metrics: Metrics): (event: CacheEvent) => void {
  const redisErrors = metrics.counter('key_cache_redis_errors_total', 'Key cache Redis failures', [
    'operation',
  ]);
  const outboxErrors = metrics.counter(
    'key_cache_outbox_errors_total',
    'Key cache invalidation outbox relay failures (database)',
    [],
  );
  return (event) => {
    if (event.type === 'redis-error') {
      redisErrors.inc(event.operation);
      logger.warn({ operation: event.operation, err: event.error.message }, 'key cache: redis unavailable');
    } else if (event.type === 'outbox-error') {
      outboxErrors.inc();
      logger.warn({ err: event.error.message }, 'key cache: invalidation outbox relay failed');
    } else if (event.type === 'breaker') {
      logger.warn({ state: event.state }, 'key cache: redis circuit breaker');
    }
  };
}

/**
 * Readiness checks for `/readyz`: the database answers `SELECT 1`, and Redis (when configured)
 * answers `PING`.
 *
 * @example
 * healthRoutes({ now, checks: readinessChecks(db, redis), metrics });
 */
export function readinessChecks(
  db: { query(sql: string): Promise<unknown> },
  redis?: { ping(): Promise<unknown> },
): Record<string, () => Promise<void>> {
  const checks: Record<string, () => Promise<void>> = {
    database: async () => {
      await db.query('SELECT 1');
    },
  };
  if (redis) {
    checks.redis = async () => {
      await redis.ping();
    };
  }
  return checks;
}

/** The part of a key cache's `stats()` reported here (kept structural: no dependency). */
export interface KeyCacheStatsSource {
  stats(): {
    l1Hits: number;
    l2Hits: number;
    l1NegativeHits: number;
    l2NegativeHits: number;
    loads: number;
    breaker: string;
  };
}

/** The `state` values of `key_cache_breaker_state`; `disabled` is a cache without Redis. */
export const BREAKER_STATES: readonly string[] = ['closed', 'open', 'half-open', 'disabled'];

/**
 * Reports a key cache, read from its `stats()` at scrape time (nothing on the lookup path):
 * `key_cache_lookups_total{tier}` — `l1`, `l2` (Redis), `database` (the loader) and `negative`
 * (a cached "known absent" answer from L1 or Redis); the tiers do not overlap — and
 * `key_cache_breaker_state{state}`, 1 for the Redis circuit breaker's current state, 0 for the others.
 *
 * @example
 * const keyCache = createKeyCache({ load, redis, subscriber, onEvent: reportCacheEvents(logger, metrics) });
 * observeKeyCache(metrics, keyCache);
 */
export function observeKeyCache(metrics: Metrics, cache: KeyCacheStatsSource): void {
  const reported = { l1: 0, l2: 0, database: 0, negative: 0 };
  new PromCounter({
    name: 'key_cache_lookups_total',
    help: 'Key lookups by the tier that answered: l1, l2 (Redis), database, negative (cached known-absent)',
    labelNames: ['tier'],
    registers: [metrics.registry],
    collect() {
      const stats = cache.stats();
      const now = {
        l1: stats.l1Hits - stats.l1NegativeHits,
        l2: stats.l2Hits - stats.l2NegativeHits,
        database: stats.loads,
        negative: stats.l1NegativeHits + stats.l2NegativeHits,
      };
      for (const tier of ['l1', 'l2', 'database', 'negative'] as const) {
        this.inc({ tier }, Math.max(0, now[tier] - reported[tier]));
        reported[tier] = Math.max(reported[tier], now[tier]);
      }
    },
  });
  new PromGauge({
    name: 'key_cache_breaker_state',
    help: 'Redis circuit breaker of the key cache: 1 for the current state',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      const current = cache.stats().breaker;
      for (const state of BREAKER_STATES) this.set({ state }, state === current ? 1 : 0);
    },
  });
}

/**
 * An `onOutcome` hook for the authentication middleware of `@portcullis/koa-auth`, counting
 * `auth_outcomes_total{scheme, reason, code}` (e.g. `instance_key`, `refused`, `AUTH_FAILED`).
 * The hook is only ever given those three code-chosen strings, never a credential. One series
 * per combination, resolved once: the authenticated hot path pays three Map lookups.
 *
 * @example
 * const onOutcome = countAuthOutcomes(metrics);
 * app.use(instanceKeyAuth({ lookup, cached, onOutcome }));
 * admin.use(adminTokenAuth({ token, onOutcome }));
 */
export function countAuthOutcomes(metrics: Metrics): AuthOutcomeHook {
  const counter = metrics.counter(
    'auth_outcomes_total',
    'Authentication decisions by scheme, reason and answered code',
    ['scheme', 'reason', 'code'],
  );
  const series = new Map<string, Map<string, Map<string, CounterSeries>>>();
  return (scheme, reason, code) => {
    let byReason = series.get(scheme);
    if (byReason === undefined) {
      byReason = new Map();
      series.set(scheme, byReason);
    }
    let byCode = byReason.get(reason);
    if (byCode === undefined) {
      byCode = new Map();
      byReason.set(reason, byCode);
    }
    let one = byCode.get(code);
    if (one === undefined) {
      one = counter.labels(scheme, reason, code);
      byCode.set(code, one);
    }
    one.inc();
  };
}

/**
 * `onRefused` hooks for window limiters, counting `rate_limit_refusals_total{limiter}` by the
 * name the app gives each limiter (never the bucket: client addresses and key ids stay out).
 * A request that two limiters refuse counts once in each.
 *
 * @example
 * const refusals = countRateLimitRefusals(metrics);
 * createWindowLimiter({ limit: 200, windowMs: 60_000, prefix: 'pc:rl:key', onRefused: refusals('key') });
 */
export function countRateLimitRefusals(metrics: Metrics): (limiter: string) => (result: LimitResult) => void {
  const counter = metrics.counter(
    'rate_limit_refusals_total',
    'Requests refused by a rate limiter, by limiter',
    ['limiter'],
  );
  return (limiter) => {
    const series = counter.labels(limiter);
    return () => series.inc();
  };
}
