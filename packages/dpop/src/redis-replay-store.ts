import { jtiDigest, type ReplayStore, ttlOf } from './replay-store.js';

/**
 * The one Redis command the store needs. An `ioredis` `Redis` or `Cluster` satisfies it; so does
 * any client with the same `SET … PX … NX` signature.
 */
export interface RedisSetNx {
  set(key: string, value: string, px: 'PX', ttlMs: number, nx: 'NX'): Promise<'OK' | null>;
}

/** Options of {@link createRedisReplayStore}. */
export interface RedisReplayStoreOptions {
  /** A connected client (injected, never created here: DESIGN §2). */
  redis: RedisSetNx;
  /** Key prefix. Default `pc:dpop:jti:`. Keys are `<prefix><jkt>:<sha256(jti)>`. */
  prefix?: string;
}

/**
 * A replay store on Redis: `SET <key> 1 PX <ttl> NX` (SPEC §6.4), one atomic command, so two
 * processes (or two Redis clients) racing on one proof cannot both win. Errors and timeouts of
 * the client propagate as rejections, which the verifier turns into a fail-closed refusal.
 *
 * Give the client a `commandTimeout`, or rely on the verifier's `replayTimeoutMs`: a request
 * never waits on an unresponsive Redis for longer than that.
 *
 * @example
 * ```ts
 * const replay = createRedisReplayStore({ redis: new Redis(env.REDIS_URL, { commandTimeout: 500 }) });
 * await verifyDpopProof({ proof, method: 'POST', url, replay, now: Date.now });
 * ```
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  const { redis } = options;
  const prefix = options.prefix ?? 'pc:dpop:jti:';
  return {
    async remember(jkt, jti, ttlMs) {
      const reply = await redis.set(`${prefix}${jkt}:${jtiDigest(jti)}`, '1', 'PX', ttlOf(ttlMs), 'NX');
      return reply === 'OK';
    },
  };
}
