import { describe, expect, it } from 'vitest';
import { attempt } from './maybe-async.js';

const fail = (error: unknown) => `failed: ${(error as Error).message}`;

describe('attempt', () => {
  it('answers synchronously when the producer does', () => {
    expect(
      attempt(
        () => 2,
        (v) => String(v * 10),
        fail,
      ),
    ).toBe('20');
  });

  it('answers through the promise when the producer is asynchronous', async () => {
    const out = attempt(
      async () => 2,
      (v) => String(v * 10),
      fail,
    );
    expect(out).toBeInstanceOf(Promise);
    expect(await out).toBe('20');
  });

  it("hands only the producer's own failure, sync or async, to onError", async () => {
    expect(
      attempt(
        () => {
          throw new Error('sync');
        },
        () => 'value',
        fail,
      ),
    ).toBe('failed: sync');
    expect(
      await attempt(
        () => Promise.reject(new Error('async')),
        () => 'value',
        fail,
      ),
    ).toBe('failed: async');
  });

  it('lets an error of onValue through, not to onError', async () => {
    const boom = () => {
      throw new Error('downstream');
    };
    expect(() => attempt(() => 1, boom, fail)).toThrow('downstream');
    await expect(attempt(async () => 1, boom, fail)).rejects.toThrow('downstream');
  });
});
