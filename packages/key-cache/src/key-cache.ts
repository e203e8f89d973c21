import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { BreakerOpenError, type BreakerState, createCircuitBreaker } from './breaker.js';
import type { InvalidationOutbox } from './outbox.js';

/**
 * What a lookup can see. `null` means "known absent" (negative cache); the loader returns it for
 * an unknown digest. Values must survive the codec round trip (JSON by default).
 */
export interface KeyCacheCodec<V> {
  encode(value: V): string;
  decode(text: string): V;
}

// Hits and loads are counted in stats(), not emitted: an event object per lookup would cost the
// hot path an allocation for nothing.
export type KeyCacheEvent =
  | { type: 'invalidation-received'; count: number }
  | { type: 'redis-error'; operation: string; error: Error }
  | { type: 'breaker'; state: BreakerState }
  | { type: 'outbox-error'; error: Error }
  | {
      type: 'resync';
      reason: 'subscriber-reconnected' | 'pending-invalidations-replayed' | 'outbox-relayed';
    };

export interface KeyCacheOptions<V> {
  /** Reads the source of truth (the database). Returns `null` when the id is unknown. */
  load: (id: string) => Promise<V | null>;
  /**
   * Redis command connection for L2 and publishing. Omit for single-node mode (L1 + loader).
   * Configure it to fail fast: `enableOfflineQueue: false`, `maxRetriesPerRequest: 1`.
   */
  redis?: Redis | undefined;
  /** A dedicated Redis connection used only to SUBSCRIBE to invalidations. Needed with `redis`. */
  subscriber?: Redis | undefined;
  /** Prefix of every Redis key and of the channel. Default `pc:key`. */
  namespace?: string;
  /** Serialises values for L2. Default JSON. */
  codec?: KeyCacheCodec<V>;
  /** L1 in-process LRU; `false` disables it (every lookup goes to Redis or the loader). */
  l1?:
    | {
        /** Default 10 000 entries. */
        maxEntries?: number;
        /** Default 30 000 ms. */
        ttlMs?: number;
        /** TTL of "known absent" entries. Default 10 000 ms. */
        negativeTtlMs?: number;
      }
    | false;
  l2?: {
    /** Default 300 000 ms (5 min). */
    ttlMs?: number;
    /** Default 60 000 ms. */
    negativeTtlMs?: number;
  };
  redisBreaker?: {
    /** Upper bound on one Redis command from a lookup, in ms. Default 100. */
    timeoutMs?: number;
    /** Consecutive Redis failures that stop using Redis for `cooldownMs`. Default 3. */
    failureThreshold?: number;
    /** Default 1 000 ms. */
    cooldownMs?: number;
  };
  /**
   * Durable record of invalidations, written in the same transaction as each state change (see
   * `createSqlOutbox`). With it, every process relays recorded invalidations to Redis until they
   * are published, so none is lost to a Redis outage or a dying process, and a process that saw
   * Redis fail reads no L2 entry until the outbox has been relayed (SPEC §8). Without it,
   * invalidations that fail to publish are kept in memory only (`maxPendingInvalidations`).
   */
  outbox?: InvalidationOutbox | undefined;
  outboxRelay?: {
    /** How often every process relays the outbox, in ms. Default 1 000. */
    intervalMs?: number;
    /** Records taken per relay transaction. Default 200. */
    batchSize?: number;
  };
  /**
   * Without an `outbox`: invalidations kept in memory for replay while Redis is unreachable.
   * Default 10 000.
   */
  maxPendingInvalidations?: number;
  /** Monotonic clock for cache TTLs, in milliseconds. Default `performance.now`. */
  clock?: () => number;
  /** Observability hook (logs, metrics): Redis errors, breaker changes, invalidations, resyncs. */
  onEvent?: (event: KeyCacheEvent) => void;
}

export interface KeyCacheStats {
  /** Lookups answered from L1, "known absent" answers included. */
  l1Hits: number;
  /** Lookups answered from Redis, "known absent" answers included. */
  l2Hits: number;
  /** Of `l1Hits`, those answered "known absent" (a cached negative entry). */
  l1NegativeHits: number;
  /** Of `l2Hits`, those answered "known absent" (a cached negative entry). */
  l2NegativeHits: number;
  /** Lookups answered by the loader (the database). */
  loads: number;
  redisErrors: number;
  /** Redis calls not made because the breaker was open. */
  redisSkipped: number;
  invalidationsReceived: number;
  /** Ids this process published from the outbox. */
  invalidationsRelayed: number;
  /**
   * False while L2 reads are suspended: with an outbox, from start and from every Redis failure
   * until the outbox has been relayed with Redis answering. Always true without an outbox.
   */
  l2Trusted: boolean;
  l1Size: number;
  breaker: BreakerState | 'disabled';
}

export interface KeyCache<V> {
  /**
   * Looks `id` up: L1, then Redis, then the loader (one loader call per id at a time).
   * Resolves `null` for a known-absent id. Rejects only when the loader itself fails; Redis
   * failures fall through to the loader.
   */
  get(id: string): Promise<V | null>;
  /**
   * The fresh L1 entry of `id`, synchronously: the value, `null` for a known-absent id, or
   * `undefined` when L1 has nothing fresh (then call `get`). Lets the auth hot path skip the
   * promise machinery on an L1 hit; counted as an L1 hit.
   */
  peek(id: string): V | null | undefined;
  /**
   * `peek` when L1 has a fresh entry (answered synchronously), else `get`: the hot-path lookup
   * of auth middleware that accepts either.
   */
  read(id: string): V | null | Promise<V | null>;
  /**
   * Forgets `ids` here and on every process: drops L1, bumps the L2 version, deletes the L2
   * entry and publishes the ids. Call it after the database change has committed.
   * Never rejects. When Redis is unreachable: with an outbox, the change's outbox rows are
   * relayed once Redis answers (by any process); without one, the ids are kept in memory and
   * replayed by this process on recovery.
   */
  invalidate(ids: string | readonly string[]): Promise<void>;
  /**
   * Subscribes to invalidations (when Redis is configured) and, with an outbox, starts relaying
   * it and relays it once. Resolves once both are done or failed; never rejects.
   */
  start(): Promise<void>;
  /**
   * Stops relaying (waiting for a relay in flight), unsubscribes and drops L1. Does not relay
   * what is left: other processes, or this one's next start, do. Does not close the injected
   * Redis connections.
   */
  close(): Promise<void>;
  stats(): KeyCacheStats;
}

interface L1Entry<V> {
  value: V | null;
  freshUntil: number;
}

// Writes the entry only if nobody invalidated the id since the loader started: the version read
// before loading must still be current. Without this a slow loader could put a pre-revocation
// row back into Redis after the revoking process deleted it.
const SET_IF_VERSION = `
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

const jsonCodec = {
  encode: (value: unknown) => JSON.stringify(value),
  decode: (text: string) => JSON.parse(text) as unknown,
};

/**
 * Creates a two-tier cache in front of a loader, for looking up API keys by digest.
 *
 * L1 is an in-process LRU, L2 is Redis, the loader reads the database. Concurrent misses for one
 * id share one load. Invalidations are published on `<namespace>:invalidate` and applied by every
 * process's L1. Redis failures are bounded by a timeout and a circuit breaker and fall through to
 * the loader; with no Redis at all the cache serves a single node from L1 and the loader.
 *
 * With an `outbox` (see `createSqlOutbox`) every process also relays the invalidations recorded
 * with each state change until they are published, and a process that saw Redis fail reads no L2
 * entry until that relay has caught up: no invalidation is lost to an outage or a dying process.
 *
 * Values are cached as loaded: anything time dependent in them (expiry, pause end) must be
 * evaluated by the caller at use, with its own clock.
 *
 * @example
 * const cache = createKeyCache<KeyRow>({
 *   load: (digest) => store.findByDigest(digest),
 *   redis,
 *   subscriber,
 *   outbox: createSqlOutbox(db),
 * });
 * await cache.start();
 * const row = await cache.get(digestKey(apiKey)); // null when unknown
 * await cache.invalidate(row.digest);              // after revoking it in the database
 */
export function createKeyCache<V>(options: KeyCacheOptions<V>): KeyCache<V> {
  const { load, redis, subscriber, outbox, onEvent } = options;
  const namespace = options.namespace ?? 'pc:key';
  const channel = `${namespace}:invalidate`;
  const codec = (options.codec ?? jsonCodec) as KeyCacheCodec<V>;
  const clock = options.clock ?? (() => performance.now());
  const l1Options = options.l1 === false ? undefined : (options.l1 ?? {});
  const l1TtlMs = l1Options?.ttlMs ?? 30_000;
  const l1NegativeTtlMs = l1Options?.negativeTtlMs ?? 10_000;
  const l2TtlMs = options.l2?.ttlMs ?? 300_000;
  const l2NegativeTtlMs = options.l2?.negativeTtlMs ?? 60_000;
  // Versions must outlive the entries they guard.
  const versionTtlMs = Math.max(l2TtlMs, l2NegativeTtlMs) * 2;
  const maxPending = options.maxPendingInvalidations ?? 10_000;
  const replayIntervalMs = options.redisBreaker?.cooldownMs ?? 1000;
  const relayIntervalMs = options.outboxRelay?.intervalMs ?? 1000;
  const relayBatchSize = options.outboxRelay?.batchSize ?? 200;
  if (!Number.isSafeInteger(relayBatchSize) || relayBatchSize < 1) {
    throw new TypeError('createKeyCache: outboxRelay.batchSize must be a positive integer');
  }
  if (!(relayIntervalMs > 0)) throw new TypeError('createKeyCache: outboxRelay.intervalMs must be > 0');

  const entryKey = (id: string) => `${namespace}:e:${id}`;
  const versionKey = (id: string) => `${namespace}:v:${id}`;

  const l1 = l1Options
    ? new LRUCache<string, L1Entry<V>>({ max: l1Options.maxEntries ?? 10_000 })
    : undefined;
  const inflight = new Map<string, Promise<V | null>>();
  // Bumped by every invalidation this process sees; a load that straddles one does not fill L1.
  let invalidationSeq = 0;
  const pending = new Set<string>();
  let pendingOverflow = false;
  let closed = false;
  // The L2 gate (SPEC §8: no stale L2 entry after Redis returns). While Redis is unreachable a
  // change cannot delete its L2 entry, and Redis may come back with that entry intact (a paused
  // or partitioned server keeps its data). Its outbox row is the only trace of the change, so a
  // process that saw Redis fail reads L2 again only after a relay pass, made with Redis
  // answering, found no row recorded before it started. Until then lookups go to the loader. A
  // process starts untrusting: a process that died may have left rows behind. Without an outbox
  // there is nothing to wait for, and the gate stays open (the best-effort replay applies).
  let l2Trusted = outbox === undefined;
  // Counts Redis failures (not calls skipped by the open breaker), so a relay pass can tell
  // whether Redis failed while it ran.
  let redisFailures = 0;

  const counters = {
    l1Hits: 0,
    l2Hits: 0,
    l1NegativeHits: 0,
    l2NegativeHits: 0,
    loads: 0,
    redisErrors: 0,
    redisSkipped: 0,
    invalidationsReceived: 0,
    invalidationsRelayed: 0,
  };

  const breaker = createCircuitBreaker({
    timeoutMs: options.redisBreaker?.timeoutMs ?? 100,
    failureThreshold: options.redisBreaker?.failureThreshold ?? 3,
    cooldownMs: options.redisBreaker?.cooldownMs ?? 1000,
    clock,
    onStateChange: (state) => {
      onEvent?.({ type: 'breaker', state });
      if (state === 'closed') void (outbox ? requestRelay() : replayPending());
    },
  });

  const redisCall = async <T>(operation: string, fn: (client: Redis) => Promise<T>): Promise<T> => {
    if (!redis) throw new Error('no redis');
    try {
      return await breaker.run(() => fn(redis));
    } catch (error) {
      if (error instanceof BreakerOpenError) {
        counters.redisSkipped += 1;
        throw error;
      }
      counters.redisErrors += 1;
      redisFailures += 1;
      if (outbox && l2Trusted) {
        l2Trusted = false;
        // A passing blip should not cost a whole relay interval of database lookups: try to
        // reopen the gate at once (the pass pings Redis first, and skips while the breaker is open).
        void requestRelay();
      }
      onEvent?.({ type: 'redis-error', operation, error: asError(error) });
      throw error;
    }
  };

  const dropLocal = (ids: readonly string[]): void => {
    invalidationSeq += 1;
    for (const id of ids) {
      l1?.delete(id);
      inflight.delete(id);
    }
  };

  const fillL1 = (id: string, value: V | null, seqAtStart: number): void => {
    if (!l1 || seqAtStart !== invalidationSeq || closed) return;
    l1.set(id, { value, freshUntil: clock() + (value === null ? l1NegativeTtlMs : l1TtlMs) });
  };

  // An entry that does not decode (written by an incompatible version, or corrupted) is a miss;
  // the fresh load overwrites it.
  const decodeEntry = (text: string): { value: V | null } | undefined => {
    if (text === 'null') return { value: null };
    try {
      return { value: codec.decode(text) };
    } catch {
      return undefined;
    }
  };

  const readThrough = async (id: string): Promise<V | null> => {
    const seqAtStart = invalidationSeq;
    let version: string | null | undefined;
    if (redis && l2Trusted) {
      try {
        const [entry, currentVersion] = await redisCall('mget', (client) =>
          client.mget(entryKey(id), versionKey(id)),
        );
        version = currentVersion ?? null;
        const decoded = typeof entry === 'string' ? decodeEntry(entry) : undefined;
        if (decoded !== undefined) {
          counters.l2Hits += 1;
          if (decoded.value === null) counters.l2NegativeHits += 1;
          fillL1(id, decoded.value, seqAtStart);
          return decoded.value;
        }
      } catch {
        // Redis unavailable: the database answers, and nothing is written back.
        version = undefined;
      }
    }

    counters.loads += 1;
    const value = await load(id);
    fillL1(id, value, seqAtStart);

    if (redis && version !== undefined) {
      const text = value === null ? 'null' : codec.encode(value);
      const ttl = value === null ? l2NegativeTtlMs : l2TtlMs;
      // Best effort: a failed write only costs a later miss.
      await redisCall('set', (client) =>
        client.eval(SET_IF_VERSION, 2, versionKey(id), entryKey(id), version ?? '', text, ttl),
      ).catch(() => undefined);
    }
    return value;
  };

  const peek = (id: string): V | null | undefined => {
    if (!l1) return undefined;
    const entry = l1.get(id);
    if (entry === undefined) return undefined;
    if (entry.freshUntil > clock()) {
      counters.l1Hits += 1;
      if (entry.value === null) counters.l1NegativeHits += 1;
      return entry.value;
    }
    l1.delete(id);
    return undefined;
  };

  const read = (id: string): V | null | Promise<V | null> => {
    const fresh = peek(id);
    return fresh !== undefined ? fresh : get(id);
  };

  const get = async (id: string): Promise<V | null> => {
    const fresh = peek(id);
    if (fresh !== undefined) return fresh;
    const running = inflight.get(id);
    if (running) return running;
    const promise = readThrough(id).finally(() => {
      if (inflight.get(id) === promise) inflight.delete(id);
    });
    inflight.set(id, promise);
    return promise;
  };

  const publishInvalidation = async (ids: readonly string[]): Promise<void> => {
    await redisCall('invalidate', async (client) => {
      const tx = client.multi();
      for (const id of ids) {
        tx.incr(versionKey(id));
        tx.pexpire(versionKey(id), versionTtlMs);
        tx.del(entryKey(id));
      }
      tx.publish(channel, ids.join(','));
      const results = await tx.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
    });
  };

  const remember = (ids: readonly string[]): void => {
    for (const id of ids) {
      if (pending.size >= maxPending) {
        pendingOverflow = true;
        return;
      }
      pending.add(id);
    }
  };

  let replaying = false;
  async function replayPending(): Promise<void> {
    if (!redis || replaying || closed || (pending.size === 0 && !pendingOverflow)) return;
    replaying = true;
    try {
      const ids = [...pending];
      pending.clear();
      const overflowed = pendingOverflow;
      pendingOverflow = false;
      try {
        if (ids.length > 0) await publishInvalidation(ids);
        if (overflowed) await purgeNamespace(redis);
        onEvent?.({ type: 'resync', reason: 'pending-invalidations-replayed' });
      } catch {
        remember(ids);
        if (overflowed) pendingOverflow = true;
      }
    } finally {
      replaying = false;
    }
  }

  // Too many invalidations were lost to an outage to replay one by one: drop every L2 entry.
  async function purgeNamespace(client: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:e:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  }

  const invalidate = async (input: string | readonly string[]): Promise<void> => {
    const ids = typeof input === 'string' ? [input] : [...input];
    if (ids.length === 0) return;
    dropLocal(ids);
    if (outbox) {
      await publishOwnChange(outbox, ids);
      return;
    }
    if (!redis) return;
    try {
      await publishInvalidation(ids);
    } catch {
      // Redis is down: this process is already correct; the others fall back to their L1 TTL.
      // Replaying on recovery removes the stale L2 entry the others would otherwise read.
      remember(ids);
    }
  };

  // The fast path with an outbox: publish at once, so every process drops the ids within
  // milliseconds, and take the change's own outbox rows with it (the publish and their removal in
  // one transaction), so no relay pass publishes the change a second time. Rows another process
  // is relaying right now are left to it. If the publish fails the rows stay, and a relay pass
  // (here or on any process) delivers them once Redis answers; if the database fails, the ids are
  // still published directly.
  const publishOwnChange = async (box: InvalidationOutbox, ids: readonly string[]): Promise<void> => {
    // Set inside the publish callback, read after the transaction.
    const attempt: { outcome: 'not-tried' | 'published' | 'failed' } = { outcome: 'not-tried' };
    const publish = async (): Promise<void> => {
      try {
        if (redis) await publishInvalidation(ids);
        attempt.outcome = 'published';
      } catch (error) {
        attempt.outcome = 'failed';
        throw error;
      }
    };
    try {
      await box.relay(relayBatchSize, publish, ids);
    } catch (error) {
      // A failed publish was reported as a Redis error already.
      if (attempt.outcome !== 'failed') onEvent?.({ type: 'outbox-error', error: asError(error) });
    }
    // No row was free (none recorded, or another relay has it), or the database failed first.
    if (attempt.outcome === 'not-tried' && redis) {
      await publishInvalidation(ids).then(
        () => {
          attempt.outcome = 'published';
        },
        () => undefined,
      );
    }
    if (attempt.outcome !== 'published') void requestRelay();
  };

  // Publishes ids taken from the outbox. L1 is dropped here too: this process's own subscriber
  // may be the connection that is down, and without Redis this is all that publishing means.
  const publishRelayed = async (ids: readonly string[]): Promise<void> => {
    dropLocal(ids);
    if (redis) await publishInvalidation(ids);
    counters.invalidationsRelayed += ids.length;
  };

  // One relay pass: publish everything the outbox holds (in batches, each its own transaction),
  // and open the L2 gate if it was closed and nothing recorded before the pass is left.
  const relayOnce = async (box: InvalidationOutbox): Promise<void> => {
    // An open breaker means Redis failed moments ago: nothing could be published.
    if (redis && breaker.state() === 'open') return;
    const failuresAtStart = redisFailures;
    const opening = !l2Trusted;
    // Redis failures are reported by redisCall already; only database failures are reported here.
    let redisFailure: unknown;
    const viaRedis = <T>(call: Promise<T>): Promise<T> =>
      call.catch((error: unknown) => {
        redisFailure = error;
        throw error;
      });
    const publish = (ids: readonly string[]) => viaRedis(publishRelayed(ids));
    try {
      // Redis must answer before the mark is taken: a change committed after this point either
      // published itself or left a row that a later pass relays.
      if (opening && redis) await viaRedis(redisCall('ping', (client) => client.ping()));
      const mark = opening ? await box.newest() : null;
      while (!closed && (await box.relay(relayBatchSize, publish)) === relayBatchSize) {
        // A full batch: there may be more.
      }
      if (!opening || closed) return;
      // Rows up to the mark that another process is relaying right now still count as waiting.
      if (mark !== null && (await box.pendingThrough(mark))) return;
      if (redisFailures !== failuresAtStart) return;
      l2Trusted = true;
      onEvent?.({ type: 'resync', reason: 'outbox-relayed' });
    } catch (error) {
      // Whatever failed, the rows stay for the next pass.
      if (error !== redisFailure) onEvent?.({ type: 'outbox-error', error: asError(error) });
    }
  };

  // One relay pass at a time per process; a request during a pass runs one more pass after it.
  let relaying: Promise<void> | undefined;
  let relayAgain = false;
  function requestRelay(): Promise<void> {
    if (!outbox || closed) return Promise.resolve();
    if (relaying) {
      relayAgain = true;
      return relaying;
    }
    relaying = (async () => {
      try {
        do {
          relayAgain = false;
          await relayOnce(outbox);
        } while (relayAgain && !closed);
      } finally {
        relaying = undefined;
      }
    })();
    return relaying;
  }

  const onMessage = (received: string, message: string): void => {
    if (received !== channel) return;
    const ids = message.split(',').filter((id) => id.length > 0);
    counters.invalidationsReceived += ids.length;
    dropLocal(ids);
    onEvent?.({ type: 'invalidation-received', count: ids.length });
  };

  let everReady = false;
  const onReady = (): void => {
    // Messages published while the subscriber was away are lost: start L1 afresh.
    if (everReady) {
      dropLocal([]);
      l1?.clear();
      onEvent?.({ type: 'resync', reason: 'subscriber-reconnected' });
      void (outbox ? requestRelay() : replayPending());
    }
    everReady = true;
  };

  let replayTimer: NodeJS.Timeout | undefined;
  const start = async (): Promise<void> => {
    if (outbox && !replayTimer) {
      // Every process relays, so a row left by a process that died, or that lost Redis alone,
      // is published within one interval by any process that reaches Redis.
      replayTimer = setInterval(() => void requestRelay(), relayIntervalMs);
      replayTimer.unref();
    } else if (redis && !replayTimer) {
      // Replays invalidations that could not reach Redis, once it answers again, even if this
      // process serves no lookups in the meantime.
      replayTimer = setInterval(() => void replayPending(), replayIntervalMs);
      replayTimer.unref();
    }
    await subscribe();
    // Rows left behind (by a process that died while Redis was down) are published before this
    // process serves, and the L2 gate opens if Redis answers.
    await requestRelay();
  };

  const subscribe = async (): Promise<void> => {
    if (!subscriber) return;
    subscriber.on('message', onMessage);
    subscriber.on('ready', onReady);
    if (subscriber.status === 'ready') everReady = true;
    try {
      await subscriber.subscribe(channel);
      everReady = true;
    } catch (error) {
      // ioredis resubscribes on reconnect; until then L1 entries expire by TTL.
      counters.redisErrors += 1;
      onEvent?.({ type: 'redis-error', operation: 'subscribe', error: asError(error) });
    }
  };

  const close = async (): Promise<void> => {
    closed = true;
    clearInterval(replayTimer);
    // Let a relay pass in flight finish its transaction before the caller closes the database.
    await relaying;
    l1?.clear();
    inflight.clear();
    if (subscriber) {
      subscriber.off('message', onMessage);
      subscriber.off('ready', onReady);
      if (subscriber.status === 'ready') await subscriber.unsubscribe(channel).catch(() => undefined);
    }
  };

  const stats = (): KeyCacheStats => ({
    ...counters,
    l2Trusted,
    l1Size: l1?.size ?? 0,
    breaker: redis ? breaker.state() : 'disabled',
  });

  return { get, peek, read, invalidate, start, close, stats };
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
