import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** A command connection and a subscriber connection to one Redis, as the apps use them. */
export interface RedisPair {
  redis: Redis;
  subscriber: Redis;
  /** Quits both connections; never rejects. */
  close(): Promise<void>;
}

/**
 * Connects the two Redis clients an app needs (commands; pub/sub for cache invalidations),
 * configured to fail fast rather than queue behind a dead server: no offline queue, one retry,
 * short connect and command timeouts, reconnecting in the background. A Redis that is down at
 * start is not fatal: the apps fall back to the database and in-process limits, and pick Redis
 * up when it comes back (SPEC §7).
 *
 * @example
 * const pair = config.redisUrl ? await connectRedisPair(config.redisUrl, logger) : undefined;
 */
export async function connectRedisPair(url: string, logger: Logger): Promise<RedisPair> {
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 2000),
    lazyConnect: true,
  } as const;
  const redis = new Redis(url, { ...options, commandTimeout: 500 });
  const subscriber = new Redis(url, options);
  for (const client of [redis, subscriber]) {
    client.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  }
  await Promise.all([redis.connect(), subscriber.connect()].map((p) => p.catch(() => undefined)));
  return {
    redis,
    subscriber,
    async close() {
      await Promise.all([redis.quit(), subscriber.quit()].map((p) => p.catch(() => undefined)));
    },
  };
}
