import type { RedisServerHandle } from './redis.js';

/**
 * How Redis is unreachable when the writer commits its change:
 * - `writer-partitioned`: only the writer lost Redis; the other processes still reach it.
 * - `paused`: the server is frozen (SIGSTOP) for everyone and later resumed with its data, so a
 *   stale L2 entry survives the outage.
 * - `killed`: the server crashes (SIGKILL) and is restarted empty.
 */
export type RedisOutage = 'writer-partitioned' | 'paused' | 'killed';

/** Options of {@link runInvalidationOutage}. */
export interface InvalidationOutageOptions {
  /** The private redis-server every process of the test shares. */
  redis: RedisServerHandle;
  outage: RedisOutage;
  /** The process that makes the change and then dies. */
  writer: {
    /** Cuts the writer's Redis connections for good (a partition). */
    cutRedis(): void;
    /** Stops the writer as a crash would: nothing it holds in memory is published. */
    crash(): Promise<void>;
  };
  /** Makes the change through the writer (e.g. revokes key K); must succeed (else it throws). */
  change(): Promise<void>;
  /** One request to the reader with K: true when the reader accepted it. */
  accepted(): Promise<boolean>;
  /** How long to wait for the reader to refuse K, from the change, in ms. */
  refuseWithinMs: number;
  /** How long the reader must keep refusing K once Redis is back, in ms. */
  holdMs: number;
  /** Pause between two requests to the reader, in ms. Default 50. */
  pollIntervalMs?: number;
}

/** What the reader did; the test asserts on it. */
export interface InvalidationOutageResult {
  /** Ms from the change to the reader's first refusal, or `undefined` if it never refused in time. */
  refusedAfterMs: number | undefined;
  /** Requests the reader accepted after Redis was back (and it had refused once): must be 0. */
  acceptedAfterRedisBack: number;
  /** Requests made in the hold period. */
  checkedAfterRedisBack: number;
}

/**
 * The lost-invalidation fault sequence of SPEC §8 ("an invalidation is never lost"), the same for
 * every app: with the reader's cache warm for K, make Redis unreachable (`outage`), cut the
 * writer's Redis connections, change K through the writer, crash the writer, poll the reader until
 * it refuses K (while Redis is still unreachable, for `paused` and `killed`), bring Redis back,
 * and keep polling the reader for `holdMs`. Redis is always brought back, also when a step throws.
 *
 * The writer is cut off in every case: a paused server still executes, on resume, commands a
 * client had already written to its socket, which a partitioned or dead writer never sent.
 *
 * @example
 * const result = await runInvalidationOutage({
 *   redis: backends.redis,
 *   outage: 'paused',
 *   writer: a, // a test app with cutRedis() and crash()
 *   change: async () => expect((await revoke(a, keyId)).status).toBe(200),
 *   accepted: async () => (await b.withKey(key, '/api/v2/instance')).status === 200,
 *   refuseWithinMs: L1_TTL_MS + 500, holdMs: 3 * L1_TTL_MS,
 * });
 * expect(result.refusedAfterMs).toBeDefined();
 * expect(result.acceptedAfterRedisBack).toBe(0);
 */
export async function runInvalidationOutage(
  options: InvalidationOutageOptions,
): Promise<InvalidationOutageResult> {
  const { redis, outage, writer, change, accepted, refuseWithinMs, holdMs } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  let down = false;
  const bringBack = async () => {
    if (!down) return;
    down = false;
    if (outage === 'paused') redis.resume();
    else if (outage === 'killed') await redis.restart();
  };

  let refusedAfterMs: number | undefined;
  try {
    if (outage === 'paused') {
      redis.pause();
      down = true;
    } else if (outage === 'killed') {
      await redis.kill();
      down = true;
    }
    writer.cutRedis();
    await change();
    const changedAt = performance.now();
    await writer.crash();
    while (performance.now() - changedAt < refuseWithinMs) {
      if (!(await accepted())) {
        refusedAfterMs = performance.now() - changedAt;
        break;
      }
      await sleep(pollIntervalMs);
    }
  } finally {
    await bringBack();
  }

  let acceptedAfterRedisBack = 0;
  let checkedAfterRedisBack = 0;
  const holdUntil = performance.now() + holdMs;
  while (performance.now() < holdUntil) {
    if (await accepted()) acceptedAfterRedisBack += 1;
    checkedAfterRedisBack += 1;
    await sleep(pollIntervalMs);
  }
  return { refusedAfterMs, acceptedAfterRedisBack, checkedAfterRedisBack };
}
