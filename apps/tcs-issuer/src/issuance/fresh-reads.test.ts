import { describe, expect, it } from 'vitest';
import { freshReads } from './fresh-reads.js';

/** A store whose reads the test completes by hand: each read answers the value at its start. */
function manualStore() {
  let value = 0;
  const pending: Array<() => void> = [];
  let reads = 0;
  const read = (_key: string) => {
    reads += 1;
    const seen = value;
    return new Promise<number>((resolve) => pending.push(() => resolve(seen)));
  };
  return {
    read,
    write: (next: number) => {
      value = next;
    },
    /** Completes the oldest running read, then lets chained reads start. */
    async finishOne() {
      pending.shift()?.();
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
    },
    reads: () => reads,
  };
}

describe('freshReads', () => {
  it('never hands a call a read that started before it: a write made before the call is seen', async () => {
    const store = manualStore();
    const fresh = freshReads(store.read, (k) => k);
    const early = fresh('list'); // read 1 starts, sees 0
    store.write(1); // a change commits while read 1 runs
    const late = fresh('list'); // must not join read 1
    await store.finishOne(); // read 1 answers 0; read 2 starts now, sees 1
    await store.finishOne();
    expect(await early).toBe(0);
    expect(await late).toBe(1);
  });

  it('serves every call made while a read runs with one shared following read', async () => {
    const store = manualStore();
    const fresh = freshReads(store.read, (k) => k);
    const first = fresh('list');
    const waiting = Array.from({ length: 50 }, () => fresh('list'));
    await store.finishOne();
    await store.finishOne();
    await Promise.all([first, ...waiting]);
    expect(store.reads()).toBe(2);
  });

  it('keeps keys apart, and starts afresh once idle', async () => {
    const store = manualStore();
    const fresh = freshReads(store.read, (k) => k);
    const a = fresh('a');
    const b = fresh('b');
    expect(store.reads()).toBe(2);
    await store.finishOne();
    await store.finishOne();
    await Promise.all([a, b]);
    const again = fresh('a');
    expect(store.reads()).toBe(3);
    await store.finishOne();
    await again;
  });

  it('passes a failed read to the calls that joined it, and recovers for the next call', async () => {
    let fail = true;
    let reads = 0;
    const fresh = freshReads(
      async (_k: string) => {
        reads += 1;
        if (fail) throw new Error('database down');
        return 7;
      },
      (k) => k,
    );
    await expect(fresh('x')).rejects.toThrow('database down');
    fail = false;
    await expect(fresh('x')).resolves.toBe(7);
    expect(reads).toBe(2);
  });
});
