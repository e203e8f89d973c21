// The usage batcher: key use kept in memory and written in batches, never per request.
import { describe, expect, it } from 'vitest';
import { createUsageBatcher, type KeyUsage } from './usage.js';

describe('usage batcher', () => {
  it('keeps the newest time and the count per key, and writes one batch per flush', async () => {
    const batches: Array<Map<string, KeyUsage>> = [];
    const usage = createUsageBatcher({ write: async (b) => void batches.push(new Map(b)) });
    usage.touch('k1', 100);
    usage.touch('k1', 50);
    usage.touch('k2', 70);
    expect(usage.pending('k1')).toEqual({ lastUsedMs: 100, count: 2 });
    await usage.flush();
    expect(batches).toEqual([
      new Map([
        ['k1', { lastUsedMs: 100, count: 2 }],
        ['k2', { lastUsedMs: 70, count: 1 }],
      ]),
    ]);
    expect(usage.pending('k1')).toBeUndefined();
    await usage.flush();
    expect(batches).toHaveLength(1);
  });

  it('merges a failed batch back so nothing is lost', async () => {
    let fail = true;
    const written: Array<Map<string, KeyUsage>> = [];
    const errors: unknown[] = [];
    const usage = createUsageBatcher({
      write: async (b) => {
        if (fail) throw new Error('database down');
        written.push(new Map(b));
      },
      onError: (e) => errors.push(e),
    });
    usage.touch('k', 10);
    await usage.flush();
    usage.touch('k', 20);
    fail = false;
    await usage.flush();
    expect(errors).toHaveLength(1);
    expect(written).toEqual([new Map([['k', { lastUsedMs: 20, count: 2 }]])]);
  });

  it('bounds memory by dropping the oldest keys', () => {
    const usage = createUsageBatcher({ write: async () => undefined, maxPending: 2 });
    usage.touch('a', 1);
    usage.touch('b', 2);
    usage.touch('c', 3);
    expect(usage.pending('a')).toBeUndefined();
    expect(usage.pending('c')).toEqual({ lastUsedMs: 3, count: 1 });
  });

  it('flushes what is left on stop', async () => {
    const written: string[] = [];
    const usage = createUsageBatcher({ write: async (b) => void written.push(...b.keys()) });
    usage.start();
    usage.touch('k', 1);
    await usage.stop();
    expect(written).toEqual(['k']);
  });
});
