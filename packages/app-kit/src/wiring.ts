import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

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
