import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from './errors.js';
import { SessionLock } from './session-lock.js';

describe('SessionLock', () => {
  it('grants the lock in request order', async () => {
    const lock = new SessionLock();
    const order: number[] = [];
    const first = await lock.acquire(undefined);
    const waiting = [1, 2, 3].map((n) =>
      lock.acquire(1_000).then((release) => {
        order.push(n);
        release();
      }),
    );
    expect(order).toEqual([]);
    first();
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });

  it('rejects a waiter with DB_BUSY once its bound passes, and skips it when the lock frees', async () => {
    const lock = new SessionLock();
    const held = await lock.acquire(undefined);
    const error = await lock.acquire(10).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error).toMatchObject({ code: 'DB_BUSY' });
    held();
    // The timed-out waiter must not have been granted the lock: it is free again.
    const next = await lock.acquire(10);
    next();
  });

  it('ignores a second release of the same grant', async () => {
    const lock = new SessionLock();
    const first = await lock.acquire(undefined);
    const second = lock.acquire(1_000);
    first();
    first();
    const releaseSecond = await second;
    // Had the double release freed the lock, this acquire would not have to wait.
    let thirdGranted = false;
    const third = lock.acquire(1_000).then((release) => {
      thirdGranted = true;
      release();
    });
    await Promise.resolve();
    expect(thirdGranted).toBe(false);
    releaseSecond();
    await third;
    expect(thirdGranted).toBe(true);
  });
});
