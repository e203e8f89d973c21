/**
 * Batches `lastUsedAt` so a request never writes to the database (SPEC §4.4): uses are kept in
 * memory and flushed every `intervalMs` (default one minute), so each key is written at most once
 * per interval per process. `flush()` runs on shutdown too.
 */
export interface LastUsedBatcher {
  /** Records a use of `keyId` at `atMs` (ms since the epoch). O(1), no I/O. */
  touch(keyId: string, atMs: number): void;
  /** The newest unflushed use of `keyId`, if any. */
  pending(keyId: string): number | undefined;
  /** Writes every pending use now. Never rejects; a failed batch is kept for the next flush. */
  flush(): Promise<void>;
  /** Starts the periodic flush. */
  start(): void;
  /** Stops the timer and flushes what is left. */
  stop(): Promise<void>;
}

export interface LastUsedOptions {
  write: (uses: ReadonlyMap<string, number>) => Promise<void>;
  intervalMs?: number;
  /** Bounds memory if the database stays away: oldest entries beyond it are dropped. Default 100 000. */
  maxPending?: number;
  onError?: (error: unknown) => void;
}

export function createLastUsedBatcher(options: LastUsedOptions): LastUsedBatcher {
  const { write, onError } = options;
  const intervalMs = options.intervalMs ?? 60_000;
  const maxPending = options.maxPending ?? 100_000;
  let uses = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const touch = (keyId: string, atMs: number): void => {
    const previous = uses.get(keyId);
    if (previous !== undefined && previous >= atMs) return;
    if (previous === undefined && uses.size >= maxPending) {
      const oldest = uses.keys().next();
      if (!oldest.done) uses.delete(oldest.value);
    }
    uses.set(keyId, atMs);
  };

  const flushOnce = async (): Promise<void> => {
    if (uses.size === 0) return;
    const batch = uses;
    uses = new Map();
    try {
      await write(batch);
    } catch (error) {
      onError?.(error);
      for (const [keyId, atMs] of batch) touch(keyId, atMs);
    }
  };

  const flush = (): Promise<void> => {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  return {
    touch,
    pending: (keyId) => uses.get(keyId),
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
