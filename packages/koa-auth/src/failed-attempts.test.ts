// SPEC §8: failed-attempt limits reserve an attempt before the secret is checked, so concurrent
// guesses get at most the limit's number of verifications.
import { instanceApiErrors, instanceAuthErrors, isCodedError, renderTrusset } from '@portcullis/errors';
import {
  connectRedisClient,
  createFakeClock,
  firstMatching,
  listen,
  type RedisServerHandle,
  redisAvailability,
  type Served,
  startRedis,
} from '@portcullis/testing';
import type { Redis } from 'ioredis';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from './error-handler.js';
import { failedAttemptLimit } from './rate-limit.js';
import { requestId } from './request-id.js';
import { createWindowLimiter, type WindowLimiter } from './window-limiter.js';

type State = { requestId: string };

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

const isAuthFailure = (_ctx: unknown, err: unknown) => isCodedError(err) && err.code === 'AUTH_FAILED';

/**
 * An app whose "secret check" takes `checkMs` (like an argon2 verify) and counts every check it
 * makes: the secret is `right`, sent in `x-secret`.
 */
async function guardedApp(limiter: WindowLimiter, checkMs = 30) {
  const stats = { checks: 0 };
  const app = new Koa<State>();
  app.use(requestId());
  app.use(
    errorHandler<State>((err, ctx) =>
      renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date(0).toISOString() }),
    ),
  );
  app.use(failedAttemptLimit<State>({ limiter, key: () => 'one-address', failed: isAuthFailure }));
  app.use(async (ctx) => {
    stats.checks += 1;
    await new Promise((resolve) => setTimeout(resolve, checkMs));
    if (ctx.get('x-secret') === 'malformed') throw instanceApiErrors.error('VALIDATION_ERROR');
    if (ctx.get('x-secret') !== 'right') throw instanceAuthErrors.error('AUTH_FAILED');
    ctx.body = { ok: true };
  });
  const server = await listen(app.callback());
  served.push(server);
  return { url: server.url, stats };
}

/** 39 wrong guesses at once, then (once the budget is seen spent) the right secret. */
async function concurrentGuesses(url: string) {
  const wrong = Array.from({ length: 39 }, () => fetch(url, { headers: { 'x-secret': 'wrong' } }));
  // "Last": sent once a refusal proves the window is full, while checks are in flight.
  await firstMatching(wrong, (r) => r.status === 429);
  const right = await fetch(url, { headers: { 'x-secret': 'right' } });
  const statuses = (await Promise.all(wrong)).map((r) => r.status);
  return { statuses, right };
}

describe('failedAttemptLimit (memory)', () => {
  it('lets 40 concurrent guesses make at most 15 checks, the right one refused too', async () => {
    const limiter = createWindowLimiter({ limit: 15, windowMs: 900_000, prefix: 'fa1' });
    const { url, stats } = await guardedApp(limiter);
    const { statuses, right } = await concurrentGuesses(url);
    expect(stats.checks).toBe(15);
    expect(statuses.filter((s) => s === 401)).toHaveLength(15);
    expect(statuses.filter((s) => s === 429)).toHaveLength(24);
    expect(right.status).toBe(429);
    expect(right.headers.get('retry-after')).not.toBeNull();
  });

  it('gives back the reservation of a success or of a request that was not a guess', async () => {
    const limiter = createWindowLimiter({ limit: 2, windowMs: 60_000, prefix: 'fa2' });
    const { url, stats } = await guardedApp(limiter, 0);
    for (let i = 0; i < 5; i += 1) {
      expect((await fetch(url, { headers: { 'x-secret': 'right' } })).status).toBe(200);
      expect((await fetch(url, { headers: { 'x-secret': 'malformed' } })).status).toBe(400);
    }
    expect((await limiter.peek('one-address')).remaining).toBe(2);
    expect((await fetch(url, { headers: { 'x-secret': 'wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-secret': 'wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-secret': 'right' } })).status).toBe(429);
    expect(stats.checks).toBe(12);
  });

  it('keeps the count at the limit while refusing, so a refunded success re-opens exactly one place', async () => {
    const limiter = createWindowLimiter({ limit: 3, windowMs: 60_000, prefix: 'fa3' });
    // Three reservations outstanding (say, checks in flight elsewhere).
    const outstanding = [];
    for (let i = 0; i < 3; i += 1) outstanding.push(await limiter.consume('one-address'));
    const { url, stats } = await guardedApp(limiter, 0);
    for (let i = 0; i < 4; i += 1) {
      expect((await fetch(url, { headers: { 'x-secret': 'right' } })).status).toBe(429);
    }
    expect(stats.checks).toBe(0);
    expect((await limiter.peek('one-address')).remaining).toBe(0);
    // One of the three turned out a success: exactly one place opens.
    await limiter.refund('one-address', outstanding[0] as NonNullable<(typeof outstanding)[0]>);
    expect((await fetch(url, { headers: { 'x-secret': 'wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-secret': 'right' } })).status).toBe(429);
    expect(stats.checks).toBe(1);
  });

  it('does not limit a request without a bucket', async () => {
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 'fa4' });
    const app = new Koa<State>();
    app.use(failedAttemptLimit<State>({ limiter, key: () => undefined, failed: () => true }));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = await listen(app.callback());
    served.push(server);
    for (let i = 0; i < 3; i += 1) expect((await fetch(server.url)).status).toBe(200);
  });
});

describe('window limiter refunds and bucket cap (memory)', () => {
  it('refunds within the window, never below zero, and not after the window ended', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const limiter = createWindowLimiter({ limit: 2, windowMs: 60_000, prefix: 'r1', now: clock.now });
    const first = await limiter.consume('k');
    await limiter.consume('k');
    expect((await limiter.peek('k')).allowed).toBe(false);
    await limiter.refund('k', first);
    expect((await limiter.peek('k')).remaining).toBe(1);
    await limiter.refund('k', first);
    await limiter.refund('k', first);
    expect((await limiter.peek('k')).remaining).toBe(2);
    const lastWindow = await limiter.consume('k');
    clock.advance(60_000);
    await limiter.consume('k');
    await limiter.refund('k', lastWindow);
    expect((await limiter.peek('k')).remaining).toBe(1);
  });

  it('keeps at most maxBuckets buckets, dropping those of earlier windows first', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const limiter = createWindowLimiter({
      limit: 1,
      windowMs: 60_000,
      prefix: 'r2',
      now: clock.now,
      maxBuckets: 1000,
    });
    for (let i = 0; i < 900; i += 1) await limiter.consume(`old${i}`);
    clock.advance(60_000);
    await limiter.consume('current-first');
    // 900 stale + 1 current: growing past the cap must sweep the stale ones, not the current one.
    for (let i = 0; i < 500; i += 1) await limiter.consume(`new${i}`);
    expect((await limiter.consume('current-first')).allowed).toBe(false);
    expect((await limiter.consume('new0')).allowed).toBe(false);
  });

  it('drops the oldest buckets of the current window once it alone exceeds the cap', async () => {
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 'r3', maxBuckets: 1000 });
    // A flood of distinct client addresses: one bucket each.
    for (let i = 0; i < 50_000; i += 1) await limiter.consume(`10.0.${i >> 8}.${i & 255}`);
    // The newest bucket is kept (its second request is refused); the oldest was dropped.
    expect((await limiter.consume('10.0.195.79')).allowed).toBe(false);
    expect((await limiter.consume('10.0.0.0')).allowed).toBe(true);
    // Memory: at most maxBuckets buckets, read through the limiter's own view — every one of the
    // 50 000 addresses but the last ≤ 1000 starts afresh.
    let kept = 0;
    for (let i = 0; i < 50_000; i += 1)
      if ((await limiter.peek(`10.0.${i >> 8}.${i & 255}`)).remaining === 0) kept += 1;
    expect(kept).toBeLessThanOrEqual(1000);
    expect(kept).toBeGreaterThan(0);
  });

  it('refuses a nonsensical bucket cap', () => {
    expect(() => createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 'x', maxBuckets: 0 })).toThrow(
      TypeError,
    );
  });
});

const redisServer = redisAvailability();
if (!redisServer.ok) console.warn(`skipping the failed-attempt Redis suite: ${redisServer.reason}`);

describe.runIf(redisServer.ok)('failedAttemptLimit shared through Redis', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis(redisServer.ok ? { bin: redisServer.bin } : {});
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });
  const connect = async () => {
    const client = await connectRedisClient(server.url);
    clients.push(client);
    return client;
  };

  it('lets 40 concurrent guesses on two processes make at most 15 checks in all', async () => {
    const limiterOf = async () =>
      createWindowLimiter({ limit: 15, windowMs: 900_000, prefix: 'fa-redis', redis: await connect() });
    const a = await guardedApp(await limiterOf());
    const b = await guardedApp(await limiterOf());
    const wrong = Array.from({ length: 39 }, (_, i) =>
      fetch(i % 2 === 0 ? a.url : b.url, { headers: { 'x-secret': 'wrong' } }),
    );
    await firstMatching(wrong, (r) => r.status === 429);
    const right = await fetch(b.url, { headers: { 'x-secret': 'right' } });
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    expect(a.stats.checks + b.stats.checks).toBe(15);
    expect(statuses.filter((s) => s === 401)).toHaveLength(15);
    expect(right.status).toBe(429);
  });

  it('refunds through Redis and falls back to capped memory counters when Redis is down', async () => {
    const limiter = createWindowLimiter({
      limit: 2,
      windowMs: 60_000,
      prefix: 'fa-refund',
      redis: await connect(),
    });
    const first = await limiter.consume('k');
    await limiter.consume('k');
    expect((await limiter.peek('k')).allowed).toBe(false);
    await limiter.refund('k', first);
    expect((await limiter.peek('k')).remaining).toBe(1);
    await server.kill();
    try {
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push(await limiter.consume('down'));
      expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
      // The refused third and one admitted reservation given back: one place is free again.
      for (const given of [results[2], results[0]])
        await limiter.refund('down', given as NonNullable<typeof given>);
      expect((await limiter.consume('down')).allowed).toBe(true);
      expect((await limiter.consume('down')).allowed).toBe(false);
    } finally {
      await server.restart();
    }
  });
});
