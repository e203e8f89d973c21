import { createFakeClock } from '@portcullis/testing';
import { describe, expect, it } from 'vitest';
import { BreakerOpenError, CallTimeoutError, createCircuitBreaker } from './breaker.js';

const failing = () => Promise.reject(new Error('down'));
const working = () => Promise.resolve('ok');

describe('circuit breaker', () => {
  it('opens after failureThreshold consecutive failures and then skips calls', async () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, clock: clock.now });
    await expect(breaker.run(failing)).rejects.toThrow('down');
    expect(breaker.state()).toBe('closed');
    await expect(breaker.run(failing)).rejects.toThrow('down');
    expect(breaker.state()).toBe('open');
    let called = false;
    await expect(
      breaker.run(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(BreakerOpenError);
    expect(called).toBe(false);
  });

  it('lets one trial through after the cooldown and closes on success', async () => {
    const clock = createFakeClock(0);
    const states: string[] = [];
    const breaker = createCircuitBreaker({
      failureThreshold: 1,
      cooldownMs: 1000,
      clock: clock.now,
      onStateChange: (s) => states.push(s),
    });
    await expect(breaker.run(failing)).rejects.toThrow();
    clock.advance(1000);
    expect(breaker.state()).toBe('half-open');
    await expect(breaker.run(working)).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('re-opens when the half-open trial fails', async () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, clock: clock.now });
    for (let i = 0; i < 3; i += 1) await expect(breaker.run(failing)).rejects.toThrow();
    clock.advance(1000);
    await expect(breaker.run(failing)).rejects.toThrow('down');
    expect(breaker.state()).toBe('open');
  });

  it('refuses concurrent calls while the half-open trial is running', async () => {
    const clock = createFakeClock(0);
    const breaker = createCircuitBreaker({ failureThreshold: 1, cooldownMs: 10, clock: clock.now });
    await expect(breaker.run(failing)).rejects.toThrow();
    clock.advance(10);
    let finish: (v: string) => void = () => undefined;
    const trial = breaker.run(() => new Promise<string>((resolve) => (finish = resolve)));
    await expect(breaker.run(working)).rejects.toBeInstanceOf(BreakerOpenError);
    finish('done');
    await expect(trial).resolves.toBe('done');
    await expect(breaker.run(working)).resolves.toBe('ok');
  });

  it('counts a call that outlives timeoutMs as a failure', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 1, timeoutMs: 5 });
    await expect(breaker.run(() => new Promise(() => undefined))).rejects.toBeInstanceOf(CallTimeoutError);
    expect(breaker.state()).toBe('open');
  });

  it('resets the failure count after a success', async () => {
    const breaker = createCircuitBreaker({ failureThreshold: 2 });
    await expect(breaker.run(failing)).rejects.toThrow();
    await breaker.run(working);
    await expect(breaker.run(failing)).rejects.toThrow();
    expect(breaker.state()).toBe('closed');
  });
});
