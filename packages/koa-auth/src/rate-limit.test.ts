import { instanceAuthErrors, renderTrusset } from '@portcullis/errors';
import {
  connectRedisClient,
  createFakeClock,
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
import { rateLimit } from './rate-limit.js';
import { requestId } from './request-id.js';
import { createWindowLimiter, type WindowLimiter } from './window-limiter.js';

type State = { requestId: string };

const served: Served[] = [];
afterEach(async () => {
  await Promise.all(served.splice(0).map((s) => s.close()));
});

async function appWith(...middleware: Koa.Middleware<State>[]): Promise<string> {
  const app = new Koa<State>();
  app.use(requestId());
  app.use(
    errorHandler<State>((err, ctx) =>
      renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date(0).toISOString() }),
    ),
  );
  for (const m of middleware) app.use(m);
  app.use(async (ctx) => {
    ctx.body = { ok: true };
  });
  const server = await listen(app.callback());
  served.push(server);
  return server.url;
}

describe('window limiter (memory)', () => {
  it('admits exactly the limit in one window and reports what is left', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 10));
    const limiter = createWindowLimiter({ limit: 3, windowMs: 60_000, prefix: 't1', now: clock.now });
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await limiter.consume('k'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
    expect(results[0]?.resetAtMs).toBe(Date.UTC(2026, 0, 1, 12, 1, 0));
    expect(results[3]?.retryAfterSeconds).toBe(50);
  });

  it('opens a new window at the aligned boundary', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 59));
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 't2', now: clock.now });
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).allowed).toBe(false);
    clock.advance(1000);
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('resets a day window at 00:00 UTC', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 23, 59, 59));
    const limiter = createWindowLimiter({ limit: 2, windowMs: 86_400_000, prefix: 't3', now: clock.now });
    await limiter.consume('k');
    await limiter.consume('k');
    expect((await limiter.consume('k')).allowed).toBe(false);
    expect((await limiter.peek('k')).resetAtMs).toBe(Date.UTC(2026, 0, 2));
    clock.set(Date.UTC(2026, 0, 2, 0, 0, 0));
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('keeps buckets apart', async () => {
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 't4' });
    expect((await limiter.consume('a')).allowed).toBe(true);
    expect((await limiter.consume('b')).allowed).toBe(true);
    expect((await limiter.consume('a')).allowed).toBe(false);
  });

  it('peeks without counting', async () => {
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 't5' });
    expect((await limiter.peek('k')).allowed).toBe(true);
    expect((await limiter.peek('k')).remaining).toBe(1);
    await limiter.consume('k');
    expect(await limiter.peek('k')).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('stays exact past the bucket sweep: only buckets of earlier windows are dropped', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 't6', now: clock.now });
    for (let i = 0; i < 12_000; i += 1) await limiter.consume(`old${i}`);
    clock.advance(60_000);
    // 12 000 current-window buckets: the sweeps run and must drop only the stale ones.
    for (let i = 0; i < 12_000; i += 1) expect((await limiter.consume(`new${i}`)).allowed).toBe(true);
    expect((await limiter.consume('new0')).allowed).toBe(false);
    expect((await limiter.consume('new11999')).allowed).toBe(false);
    expect((await limiter.consume('old0')).allowed).toBe(true);
  });

  it('refuses nonsensical settings', () => {
    expect(() => createWindowLimiter({ limit: 0, windowMs: 60_000, prefix: 'x' })).toThrow(TypeError);
    expect(() => createWindowLimiter({ limit: 1, windowMs: 1500, prefix: 'x' })).toThrow(TypeError);
  });
});

describe('rateLimit middleware', () => {
  it('sets the limit headers and answers the 101st request with the SPEC 429 body', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const limiter = createWindowLimiter({ limit: 2, windowMs: 60_000, prefix: 'm1', now: clock.now });
    const url = await appWith(rateLimit({ limiter, key: () => 'one' }));
    const first = await fetch(url);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 0, 1, 12, 1) / 1000));
    await fetch(url);
    const refused = await fetch(url);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    const body = await refused.json();
    expect(body).toEqual({
      success: false,
      data: null,
      error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests, please try again later' },
      metadata: {
        retryAfter: 60,
        requestId: refused.headers.get('x-request-id'),
        timestamp: expect.any(String),
      },
    });
  });

  it('does not limit requests without a bucket', async () => {
    const limiter = createWindowLimiter({ limit: 1, windowMs: 60_000, prefix: 'm2' });
    const url = await appWith(rateLimit({ limiter, key: () => undefined }));
    for (let i = 0; i < 3; i += 1) expect((await fetch(url)).status).toBe(200);
  });

  it('counts only failed attempts when given a predicate, then refuses before running', async () => {
    const limiter = createWindowLimiter({ limit: 2, windowMs: 60_000, prefix: 'm3' });
    let runs = 0;
    const url = await appWith(
      rateLimit({ limiter, key: () => 'ip', count: (_ctx, err) => err !== undefined }),
      async (ctx, next) => {
        runs += 1;
        if (ctx.get('x-ok') !== 'yes') throw instanceAuthErrors.error('AUTH_FAILED');
        await next();
      },
    );
    expect((await fetch(url, { headers: { 'x-ok': 'yes' } })).status).toBe(200);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-ok': 'yes' } })).status).toBe(200);
    expect((await fetch(url)).status).toBe(401);
    const third = await fetch(url);
    expect(third.status).toBe(429);
    expect(runs).toBe(4);
    expect((await fetch(url, { headers: { 'x-ok': 'yes' } })).status).toBe(429);
    expect(runs).toBe(4);
  });
});

const redisServer = redisAvailability();
if (!redisServer.ok) console.warn(`skipping rate-limit Redis suite: ${redisServer.reason}`);

describe.runIf(redisServer.ok)('window limiter shared through Redis', () => {
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

  it('admits exactly the limit across four processes under 400 concurrent requests', async () => {
    const limiters: WindowLimiter[] = [];
    for (let i = 0; i < 4; i += 1) {
      limiters.push(
        createWindowLimiter({ limit: 100, windowMs: 60_000, prefix: 'exact', redis: await connect() }),
      );
    }
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => (limiters[i % 4] as WindowLimiter).consume('one-key')),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
  });

  it('falls back to per-process memory when Redis is unreachable, failing open', async () => {
    const client = await connect();
    const limiter = createWindowLimiter({ limit: 2, windowMs: 60_000, prefix: 'fallback', redis: client });
    await server.kill();
    try {
      const results = [];
      for (let i = 0; i < 3; i += 1) results.push(await limiter.consume('k'));
      expect(results.map((r) => r.allowed)).toEqual([true, true, false]);
    } finally {
      await server.restart();
    }
  });
});
