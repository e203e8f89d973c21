import { rateLimitErrors } from '@portcullis/errors';
import type { Middleware, ParameterizedContext } from 'koa';
import type { LimitResult, WindowLimiter } from './window-limiter.js';

export interface RateLimitOptions<S> {
  limiter: WindowLimiter;
  /** The bucket of this request (key id, instance id, client address); `undefined` skips limiting. */
  key: (ctx: ParameterizedContext<S>) => string | undefined;
  /**
   * Which requests count. `'always'` (default) counts each request before it runs. A predicate
   * counts after the request ran, when it returns true for the finished request (and the error it
   * threw, if any); a bucket that is already exhausted refuses the next request before it runs.
   * Counting after the fact is check-then-act: concurrent requests all pass the check. Use it for
   * budgets of cheap requests (e.g. the per-address limit of unauthenticated requests), never for
   * guesses of a secret: those take {@link failedAttemptLimit}, which reserves first.
   */
  count?: 'always' | ((ctx: ParameterizedContext<S>, error: unknown) => boolean);
  /**
   * With a `count` predicate: look at the bucket before running the request and refuse it at once
   * when the bucket is exhausted (default true). Turn it off when the requests that count are
   * cheap and most requests do not count, so the hot path makes no store call at all.
   */
  precheck?: boolean;
  /** Sets the limit headers. Default: `X-RateLimit-Limit`, `-Remaining`, `-Reset` (Unix seconds), SPEC §4.6. */
  headers?: (ctx: ParameterizedContext<S>, result: LimitResult) => void;
  /** The error for a refused request. Default 429 `RATE_LIMIT_EXCEEDED` with `Retry-After`. */
  exceeded?: (result: LimitResult) => unknown;
}

/**
 * Sets the SPEC §4.6 headers: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
 * (Unix seconds). Nothing once the headers are sent, as Koa's `ctx.set`; written on the response
 * directly because this runs on every limited request (SPEC §9).
 *
 * @example
 * standardRateLimitHeaders(ctx, await limiter.consume(ctx.ip)); // X-RateLimit-Limit: 100 …
 */
export function standardRateLimitHeaders(ctx: ParameterizedContext, result: LimitResult): void {
  const res = ctx.res;
  if (res.headersSent) return;
  res.setHeader('X-RateLimit-Limit', String(result.limit));
  res.setHeader('X-RateLimit-Remaining', String(result.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(result.resetAtMs / 1000)));
}

const defaultExceeded = (result: LimitResult): unknown =>
  rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: result.retryAfterSeconds });

/**
 * Limits requests per bucket with a {@link WindowLimiter}: exact across processes while Redis
 * works. Every limited response carries the limit headers; a refused one is a 429 with
 * `Retry-After`.
 *
 * @example
 * // 200 per minute per authenticated key, counted before the handler runs
 * router.use(rateLimit({ limiter: perKey, key: (ctx) => ctx.state.auth?.keyId }));
 * // 15 failed admin logins per 15 minutes per address, counted after the fact
 * admin.use(rateLimit({ limiter: authFailures, key: (ctx) => ctx.ip, count: (ctx, err) => isAuthFailure(err) }));
 */
export function rateLimit<S>(options: RateLimitOptions<S>): Middleware<S> {
  const { limiter, key } = options;
  const count = options.count ?? 'always';
  const setHeaders = options.headers ?? standardRateLimitHeaders;
  const exceeded = options.exceeded ?? defaultExceeded;
  const precheck = options.precheck ?? true;

  const admit = (ctx: ParameterizedContext<S>, result: LimitResult, next: () => Promise<unknown>) => {
    setHeaders(ctx, result);
    if (!result.allowed) throw exceeded(result);
    return next();
  };

  if (count === 'always') {
    // Counted before the handler runs. Not an async function: with the in-process store the
    // count is synchronous and the request goes on without a promise of its own.
    return function rateLimit(ctx, next) {
      const bucket = key(ctx);
      if (bucket === undefined) return next();
      const answer = limiter.consume(bucket);
      if (answer instanceof Promise) return answer.then((result) => admit(ctx, result, next));
      return admit(ctx, answer, next);
    };
  }

  return async function rateLimit(ctx, next) {
    // Without a precheck the bucket is only needed for requests that count, so most requests
    // (e.g. every authenticated one under a failed-attempts limit) never compute it.
    let bucket = precheck ? key(ctx) : undefined;
    if (precheck) {
      if (bucket === undefined) return next();
      const before = await limiter.peek(bucket);
      setHeaders(ctx, before);
      if (!before.allowed) throw exceeded(before);
    }
    let error: unknown;
    let failed = false;
    try {
      await next();
    } catch (err) {
      error = err;
      failed = true;
    }
    if (count(ctx, error)) {
      bucket ??= key(ctx);
      if (bucket !== undefined) {
        const after = await limiter.consume(bucket);
        setHeaders(ctx, after);
        // The counted request that overflowed the bucket is refused, whatever it would have been:
        // the processes together let exactly `limit` counted requests through.
        if (!after.allowed) throw exceeded(after);
      }
    }
    if (failed) throw error;
  };
}

export interface FailedAttemptLimitOptions<S> {
  limiter: WindowLimiter;
  /** The bucket of this request (client address, account name); `undefined` skips limiting. */
  key: (ctx: ParameterizedContext<S>) => string | undefined;
  /**
   * True when the finished request was a failed attempt (wrong or missing secret), given the error
   * it threw, if any. Any other outcome (success, a malformed body, a 503) gives its reservation back.
   */
  failed: (ctx: ParameterizedContext<S>, error: unknown) => boolean;
  /** Sets the limit headers. Default: none (a guessing client learns nothing from them). */
  headers?: (ctx: ParameterizedContext<S>, result: LimitResult) => void;
  /** The error for a refused request. Default 429 `RATE_LIMIT_EXCEEDED` with `Retry-After`. */
  exceeded?: (result: LimitResult) => unknown;
}

/**
 * Limits failed attempts at a secret (SPEC §8: login, admin token, management token) so that N
 * concurrent guesses get at most `limit` verifications, never more. Each request *reserves* one
 * attempt before anything downstream checks its secret; a request whose reservation does not fit
 * is refused at once (and gives it back, so the count stays exact), and a request that turns out
 * not to be a failed attempt gives its reservation back when it ends. So while a window's budget
 * is spent every request is refused, the right secret included: it is never checked past the
 * limit. Exact across processes while the limiter's store is Redis.
 *
 * @example
 * // 15 failed logins per 15 minutes per address
 * router.post('/login', failedAttemptLimit({
 *   limiter: loginPerIp, key: (ctx) => ctx.ip,
 *   failed: (_ctx, err) => isCodedError(err) && err.code === 'INVALID_CREDENTIALS',
 * }), login);
 */
export function failedAttemptLimit<S>(options: FailedAttemptLimitOptions<S>): Middleware<S> {
  const { limiter, key, failed } = options;
  const setHeaders = options.headers;
  const exceeded = options.exceeded ?? defaultExceeded;

  return async function failedAttemptLimit(ctx, next) {
    const bucket = key(ctx);
    if (bucket === undefined) return next();
    const reserved = await limiter.consume(bucket);
    setHeaders?.(ctx, reserved);
    if (!reserved.allowed) {
      // Refused without checking anything: not an attempt, so the count stays at the limit and
      // a success refunded later re-opens exactly one place.
      await limiter.refund(bucket, reserved);
      throw exceeded(reserved);
    }
    let error: unknown;
    try {
      await next();
    } catch (err) {
      error = err;
      if (!failed(ctx, err)) await limiter.refund(bucket, reserved);
      throw err;
    }
    if (!failed(ctx, error)) await limiter.refund(bucket, reserved);
  };
}
