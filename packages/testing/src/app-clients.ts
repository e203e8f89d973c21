import { Writable } from 'node:stream';
import { Redis } from 'ioredis';

/** The Redis connections of one app process-equivalent in a test. */
export interface AppRedis {
  /** Command connection; `undefined` without a URL (single-node mode). */
  redis: Redis | undefined;
  /** Subscriber connection for cache invalidations; `undefined` without a URL. */
  subscriber: Redis | undefined;
  /** Drops both connections (never throws). */
  disconnect(): void;
}

/**
 * One connected Redis client configured as the apps configure theirs: fail fast
 * (`enableOfflineQueue: false`, one retry per request), reconnect every 50 ms, connection errors
 * swallowed (fault tests stop Redis on purpose), and a command timeout only when given.
 * The caller disconnects it.
 *
 * @example
 * const client = await connectRedisClient(server.url);
 * const limiter = createWindowLimiter({ limit: 15, windowMs: 60_000, prefix: 't', redis: client });
 */
export async function connectRedisClient(
  url: string,
  options: { commandTimeoutMs?: number } = {},
): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 50,
    ...(options.commandTimeoutMs === undefined ? {} : { commandTimeout: options.commandTimeoutMs }),
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Opens the two Redis connections an app process opens (commands and invalidation subscriber),
 * configured as the apps configure them: fail fast (`enableOfflineQueue: false`, one retry per
 * request), reconnect every 50 ms, connection errors swallowed (fault tests stop Redis on
 * purpose). Without a URL, both are `undefined` and the app runs single-node.
 *
 * The command connection has no command timeout unless `commandTimeoutMs` is given (the apps use
 * 500 ms): suites that count exactly under a loaded test machine must not fall back to
 * in-process limits because a command was slow; a suite that pauses Redis passes one, so a
 * request cannot wait for the frozen server forever.
 *
 * @example
 * const { redis, subscriber, disconnect } = await connectAppRedis(redisUrl);
 * const deps = buildDeps({ db, redis, subscriber, … });
 * // …
 * disconnect();
 */
export async function connectAppRedis(
  url: string | undefined,
  options: { commandTimeoutMs?: number } = {},
): Promise<AppRedis> {
  if (url === undefined) return { redis: undefined, subscriber: undefined, disconnect: () => undefined };
  const redis = await connectRedisClient(url, options);
  const subscriber = await connectRedisClient(url).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  return {
    redis,
    subscriber,
    disconnect() {
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}

/**
 * A writable stream that appends each chunk it receives to `lines`, as text: a logger
 * destination whose output tests can search (e.g. for leaked secrets).
 *
 * @example
 * const lines: string[] = [];
 * const logger = createLogger({ app: 'x', level: 'debug', destination: lineSink(lines) });
 */
export function lineSink(lines: string[]): Writable {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}
