import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue.js';

describe('KeyedQueue (a process’s queue per book or market)', () => {
  it('runs the work of one key one at a time in arrival order, past failures, other keys alongside', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = queue.run('m1', async () => {
      log.push('m1:first:start');
      await gate;
      log.push('m1:first:end');
      throw new Error('refused');
    });
    const second = queue.run('m1', async () => {
      log.push('m1:second');
      return 2;
    });
    // Another key does not wait for m1.
    expect(await queue.run('m2', async () => 'other')).toBe('other');
    expect(log).toEqual(['m1:first:start']);
    release();
    await expect(first).rejects.toThrow('refused');
    expect(await second).toBe(2);
    expect(log).toEqual(['m1:first:start', 'm1:first:end', 'm1:second']);
  });

  it('runs up to its concurrency of one key at once, the rest in arrival order', async () => {
    const queue = new KeyedQueue(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const work = (n: number) =>
      queue.run('k', async () => {
        running += 1;
        most = Math.max(most, running);
        order.push(n);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return n;
      });
    expect(await Promise.all([1, 2, 3, 4, 5].map(work))).toEqual([1, 2, 3, 4, 5]);
    expect([most, order]).toEqual([2, [1, 2, 3, 4, 5]]);
    expect(queue.size).toBe(0);
    expect(() => new KeyedQueue(0)).toThrow(TypeError);
  });

  it('forgets keys with nothing queued', async () => {
    const queue = new KeyedQueue();
    await Promise.allSettled([
      queue.run('x', async () => 1),
      queue.run('y', () => Promise.reject(new Error('no'))),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });
});
