import { describe, expect, it } from 'vitest';
import { createGate, PasswordHasherBusyError } from './gate.js';
import { createPasswordHasher } from './password.js';

const deferred = () => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('createGate', () => {
  it('runs at most `limit` tasks at once and starts waiting ones in FIFO order', async () => {
    const gate = createGate(2, 10);
    const started: number[] = [];
    const blockers = Array.from({ length: 5 }, deferred);
    const runs = blockers.map((blocker, i) =>
      gate.run(async () => {
        started.push(i);
        await blocker.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(gate.running).toBe(2);
    expect(gate.queued).toBe(3);
    blockers[1]?.resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const b of blockers) b.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(gate.running).toBe(0);
    expect(gate.queued).toBe(0);
  });

  it('refuses a task with PasswordHasherBusyError when the queue is full', async () => {
    const gate = createGate(1, 1);
    const blocker = deferred();
    const first = gate.run(() => blocker.promise);
    const second = gate.run(async () => 'second');
    await expect(gate.run(async () => 'third')).rejects.toBeInstanceOf(PasswordHasherBusyError);
    blocker.resolve();
    await first;
    expect(await second).toBe('second');
  });

  it('frees the slot when a task rejects', async () => {
    const gate = createGate(1, 5);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'after')).toBe('after');
    expect(gate.running).toBe(0);
  });
});

describe('createPasswordHasher concurrency', () => {
  it('never runs more argon2 computations than maxConcurrent, and sheds past maxQueued', async () => {
    let active = 0;
    let peak = 0;
    const hasher = createPasswordHasher({
      memoryCostKiB: 64,
      timeCost: 1,
      maxConcurrent: 2,
      maxQueued: 3,
      argon2: {
        hash: async () => '',
        verify: async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active -= 1;
          return false;
        },
      },
    });
    const phc =
      '$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
    const results = await Promise.allSettled(Array.from({ length: 7 }, () => hasher.verify(phc, 'password')));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(2);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(PasswordHasherBusyError);
  });

  it('refuses nonsensical concurrency options at creation', () => {
    expect(() => createPasswordHasher({ maxConcurrent: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ maxQueued: -1 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ maxConcurrent: 1.5 })).toThrow(RangeError);
  });
});
