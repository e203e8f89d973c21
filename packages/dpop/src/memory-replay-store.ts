import { jtiDigest, type ReplayStore, ReplayStoreFullError, ttlOf } from './replay-store.js';

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Most identifiers held at once. Default 100 000 (about 20 MB at most). */
  maxEntries?: number;
  /** Clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link ReplayStore} in process memory. Its `remember` answers synchronously (it never waits
 * on anything), and it exposes its size for metrics and tests.
 */
export interface MemoryReplayStore extends ReplayStore {
  remember(jkt: string, jti: string, ttlMs: number): boolean;
  /** Identifiers currently held (expired ones may linger until the next sweep). */
  readonly size: number;
}

// Short jtis (UUIDs, 22-character random strings) are kept as they are, longer ones as a digest;
// the tag keeps a raw jti from ever equalling a digest. Bounds a key at about 110 characters.
const RAW_JTI_MAX = 64;
// While full, a full sweep is O(maxEntries): do it at most this often.
const FULL_SWEEP_INTERVAL_MS = 1_000;

/**
 * A bounded, single-process replay store: for one node without Redis or a database, and for
 * tests. Several processes each with their own memory store do NOT detect replays across each
 * other; use the Redis or Postgres store there.
 *
 * Bounded and fail-closed: expired identifiers are dropped, but an unexpired one is never evicted
 * (that would make its proof replayable). When `maxEntries` unexpired identifiers are held,
 * `remember` throws {@link ReplayStoreFullError} and the verifier refuses the proof as an
 * infrastructure failure. Size it above your proofs per replay window (e.g. 600 s × peak proofs/s).
 *
 * @example
 * ```ts
 * const replay = createMemoryReplayStore({ maxEntries: 50_000 });
 * replay.remember(jkt, jti, 600_000); // true
 * replay.remember(jkt, jti, 600_000); // false: replay
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayStoreOptions = {}): MemoryReplayStore {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('createMemoryReplayStore: maxEntries must be a positive integer');
  }
  const now = options.now ?? Date.now;
  // Insertion order is expiry order while the TTL and clock are steady, so expired entries
  // collect at the front and are dropped there, in amortised O(1). `frontExpiry` is a lower
  // bound of the front entry's expiry: until then there is nothing to drop and no need to look.
  const expiries = new Map<string, number>();
  let frontExpiry = Number.POSITIVE_INFINITY;
  let lastFullSweep = Number.NEGATIVE_INFINITY;

  const dropExpiredAtFront = (at: number): void => {
    frontExpiry = Number.POSITIVE_INFINITY;
    for (const [key, expiresAt] of expiries) {
      if (expiresAt > at) {
        frontExpiry = expiresAt;
        return;
      }
      expiries.delete(key);
    }
  };
  const dropAllExpired = (at: number): void => {
    lastFullSweep = at;
    for (const [key, expiresAt] of expiries) if (expiresAt <= at) expiries.delete(key);
    dropExpiredAtFront(at);
  };

  return {
    get size() {
      return expiries.size;
    },
    remember(jkt, jti, ttlMs) {
      const at = now();
      const key = jti.length <= RAW_JTI_MAX ? `${jkt}:r:${jti}` : `${jkt}:h:${jtiDigest(jti)}`;
      if (at >= frontExpiry) dropExpiredAtFront(at);
      const existing = expiries.get(key);
      if (existing !== undefined) {
        if (existing > at) return false;
        expiries.delete(key);
      }
      if (expiries.size >= maxEntries && at - lastFullSweep >= FULL_SWEEP_INTERVAL_MS) dropAllExpired(at);
      if (expiries.size >= maxEntries) throw new ReplayStoreFullError();
      const expiresAt = at + ttlOf(ttlMs);
      expiries.set(key, expiresAt);
      if (expiresAt < frontExpiry) frontExpiry = expiresAt;
      return true;
    },
  };
}
