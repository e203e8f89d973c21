/** Options of {@link createBoundedCache}. */
export interface BoundedCacheOptions<V> {
  /** Clock, ms since the epoch. */
  now: () => number;
  /** An entry is served for this long after it was loaded, in ms. Default 60 000. */
  ttlMs?: number;
  /** Most entries kept; the least recently used go first. Default 1 000. */
  maxEntries?: number;
  /** Most total weight kept (see `weigh`), e.g. bytes. Default 32 MiB. */
  maxWeight?: number;
  /** Weight of one value, e.g. its serialised size in bytes. Default 1. */
  weigh?: (value: V) => number;
}

/** A bounded, expiring, single-flight cache in process memory. */
export interface BoundedCache<V> {
  /**
   * The fresh value for `key`, or the result of `load()`, stored for the next callers. Concurrent
   * misses of one key share one `load()`. A failed load is not stored; its error is rethrown.
   */
  getOrLoad(key: string, load: () => Promise<V>): Promise<V>;
  /** Drops every entry; loads already running when it is called are not stored. */
  clear(): void;
  /** Entries currently held (expired ones included until they are touched or evicted). */
  readonly size: number;
}

interface Entry<V> {
  value: V;
  weight: number;
  loadedAt: number;
}

/**
 * Creates a bounded LRU cache with a TTL, for responses computed from data that changes only on
 * import (SPEC §5.3, §9). Bounded by entry count and by total weight, so hostile queries that
 * each make a new key cannot grow memory without limit.
 *
 * @example
 * const cache = createBoundedCache<string>({ now: Date.now, ttlMs: 60_000, weigh: (json) => json.length * 2 });
 * const json = await cache.getOrLoad(key, async () => JSON.stringify(await load()));
 */
export function createBoundedCache<V>(options: BoundedCacheOptions<V>): BoundedCache<V> {
  const { now, ttlMs = 60_000, maxEntries = 1_000, maxWeight = 32 * 1024 * 1024, weigh = () => 1 } = options;
  for (const [name, value] of [
    ['ttlMs', ttlMs],
    ['maxEntries', maxEntries],
    ['maxWeight', maxWeight],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) throw new TypeError(`createBoundedCache: ${name} must be ≥ 0`);
  }
  // Map iteration order is insertion order: re-inserting on use keeps the oldest use first.
  const entries = new Map<string, Entry<V>>();
  const inflight = new Map<string, Promise<V>>();
  let weight = 0;
  let generation = 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    entries.delete(key);
    weight -= entry.weight;
  };

  const store = (key: string, value: V) => {
    const entryWeight = weigh(value);
    if (ttlMs === 0 || maxEntries === 0 || entryWeight > maxWeight) return;
    remove(key);
    entries.set(key, { value, weight: entryWeight, loadedAt: now() });
    weight += entryWeight;
    for (const oldest of entries.keys()) {
      if (entries.size <= maxEntries && weight <= maxWeight) break;
      remove(oldest);
    }
  };

  return {
    getOrLoad(key, load) {
      const entry = entries.get(key);
      if (entry !== undefined) {
        if (now() - entry.loadedAt < ttlMs) {
          entries.delete(key);
          entries.set(key, entry);
          return Promise.resolve(entry.value);
        }
        remove(key);
      }
      const running = inflight.get(key);
      if (running !== undefined) return running;
      const startedIn = generation;
      let loading: Promise<V> | undefined;
      loading = (async () => {
        try {
          // In a later microtask, so the in-flight entry exists before load() can settle or throw.
          const value = await Promise.resolve().then(load);
          if (startedIn === generation) store(key, value);
          return value;
        } finally {
          // After clear(), another load of this key may be running: leave it in place.
          if (inflight.get(key) === loading) inflight.delete(key);
        }
      })();
      inflight.set(key, loading);
      return loading;
    },
    clear() {
      generation += 1;
      entries.clear();
      inflight.clear();
      weight = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
