/** What has been seen of one key since the last flush. */
export interface KeyUsage {
  /** Newest use, ms since the epoch. */
  lastUsedMs: number;
  /** Uses since the last flush. */
  count: number;
}

/**
 * Batches key usage (`lastUsedAt`, request counts) so a request never writes to the database
 * (SPEC §4.4, §5.2): uses are kept in memory and flushed every `intervalMs` (default one minute),
 * so each key is written at most once per interval per process. `stop()` flushes what is left.
 */
export interface UsageBatcher {
  /** Records a use of `keyId` at `atMs` (ms since the epoch). O(1), no I/O. */
  touch(keyId: string, atMs: number): void;
  /** What is not flushed yet for `keyId`. */
  pending(keyId: string): KeyUsage | undefined;
  /** Writes every pending use now. Never rejects; a failed batch is merged back for the next flush. */
  flush(): Promise<void>;
  /** Starts the periodic flush. */
  start(): void;
  /** Stops the timer and flushes what is left. */
  stop(): Promise<void>;
}

export interface UsageBatcherOptions {
  /** Persists one batch; should only ever move `lastUsedAt` forward and add counts. */
  write: (usage: ReadonlyMap<string, KeyUsage>) => Promise<void>;
  /** Default 60 000 ms. */
  intervalMs?: number;
  /** Bounds memory while the database is away: the oldest entries beyond it are dropped. Default 100 000. */
  maxPending?: number;
  onError?: (error: unknown) => void;
}

/**
 * @example
 * const usage = createUsageBatcher({ write: (batch) => keys.recordUsage(batch) });
 * usage.start();
 * usage.touch(keyId, Date.now()); // on every authenticated request
 */
export function createUsageBatcher(options: UsageBatcherOptions): UsageBatcher {
  const { write, onError } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  const maxPending = options.maxPending ?? 100_000;
  let usage = new Map<string, KeyUsage>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const add = (keyId: string, lastUsedMs: number, count: number): void => {
    const entry = usage.get(keyId);
    if (entry) {
      entry.count += count;
      if (lastUsedMs > entry.lastUsedMs) entry.lastUsedMs = lastUsedMs;
      return;
    }
    if (usage.size >= maxPending) {
      const oldest = usage.keys().next();
      if (!oldest.done) usage.delete(oldest.value);
    }
    usage.set(keyId, { lastUsedMs, count });
  };

  const flushOnce = async (): Promise<void> => {
    if (usage.size === 0) return;
    const batch = usage;
    usage = new Map();
    try {
      await write(batch);
    } catch (error) {
      onError?.(error);
      for (const [keyId, entry] of batch) add(keyId, entry.lastUsedMs, entry.count);
    }
  };

  const flush = (): Promise<void> => {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  return {
    touch: (keyId, atMs) => add(keyId, atMs, 1),
    pending: (keyId) => usage.get(keyId),
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => void flush(), intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}
