/**
 * Coalesced reads that are never stale for their caller: a call joins the next read of its key
 * that *starts after the call was made*, never one already running. So every answer reflects
 * every write committed before the call (linearizable, like a read of its own), while a burst of
 * concurrent calls for one key costs one read per round trip rather than one read each: calls
 * that arrive while a read runs share the single read that follows it.
 *
 * Used for the status lists' version check: each fetch must see a status change committed before
 * it (the next fetch shows it, on every process), yet fetches should not pay a database round trip
 * each.
 *
 * @param read - the read of one key (a query); its rejection reaches every caller that joined it
 * @param idOf - the identity of a key (calls with equal ids share reads)
 * @example
 * const head = freshReads((k: { slug: string; listId: number }) => readStatusListHead(db, k), (k) => `${k.slug}/${k.listId}`);
 * const current = await head({ slug: 'acme', listId: 1 });
 */
export function freshReads<K, V>(
  read: (key: K) => Promise<V>,
  idOf: (key: K) => string,
): (key: K) => Promise<V> {
  interface Slot {
    running: Promise<V>;
    /** The read that starts once `running` settles, shared by every call made meanwhile. */
    next: Promise<V> | undefined;
  }
  const slots = new Map<string, Slot>();
  const ignore = () => undefined;

  const begin = (id: string, key: K): Promise<V> => {
    const running = read(key);
    const slot: Slot = { running, next: undefined };
    slots.set(id, slot);
    const settle = () => {
      // With a next read queued, it takes the slot over when it begins.
      if (slots.get(id) === slot && slot.next === undefined) slots.delete(id);
    };
    running.then(settle, settle);
    return running;
  };

  return (key) => {
    const id = idOf(key);
    const slot = slots.get(id);
    if (slot === undefined) return begin(id, key);
    slot.next ??= slot.running.then(ignore, ignore).then(() => begin(id, key));
    return slot.next;
  };
}
