import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.js';

const timeoutError = () => new Error('timed out');

describe('withDeadline', () => {
  it('passes through a value that arrives in time', async () => {
    await expect(withDeadline(Promise.resolve(true), 50, timeoutError)).resolves.toBe(true);
  });

  it('passes through a rejection that arrives in time', async () => {
    await expect(withDeadline(Promise.reject(new Error('boom')), 50, timeoutError)).rejects.toThrow('boom');
  });

  it('rejects a promise that does not settle in time, and ignores its late answer', async () => {
    let settle: (value: boolean) => void = () => {};
    const late = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    await expect(withDeadline(late, 10, timeoutError)).rejects.toThrow('timed out');
    settle(true);
  });

  it('times out each of many waiters, whatever the order they settle in', async () => {
    const never = new Promise<boolean>(() => {});
    const results = await Promise.allSettled([
      withDeadline(never, 15, timeoutError),
      withDeadline(Promise.resolve(1), 15, timeoutError),
      withDeadline(never, 15, timeoutError),
      withDeadline(new Promise((resolve) => setTimeout(() => resolve(2), 1)), 15, timeoutError),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
  });
});
