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
   * threw, if any): for "failed attempts" limits. Such a bucket that is already exhausted refuses
   * the next request before it runs.
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

/** Sets the SPEC §4.6 headers: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`. */
export function standardRateLimitHeaders(ctx: ParameterizedContext, result: LimitResult): void {
  ctx.set('X-RateLimit-Limit', String(result.limit));
  ctx.set('X-RateLimit-Remaining', String(result.remaining));
  ctx.set('X-RateLimit-Reset', String(Math.ceil(result.resetAtMs / 1000)));
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
