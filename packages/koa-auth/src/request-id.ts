import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

/** State set by {@link requestId}. */
export interface RequestIdState {
  /** Equals the `X-Request-Id` response header. */
  requestId: string;
}

// SPEC §4.1: an incoming id of 8–128 characters from [A-Za-z0-9._:-] is kept. The charset keeps
// it safe to echo in a header and to log; anything else gets a fresh UUID v4.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The id of a request whose `X-Request-Id` header is `incoming` (`''` when absent): the caller's
 * when it is 8–128 characters of `[A-Za-z0-9._:-]`, otherwise a new UUID v4. For pipelines that
 * set the id themselves (one middleware instead of several on the hot path).
 *
 * @example
 * requestIdFor('req-12345678'); // 'req-12345678'
 * requestIdFor('');             // a fresh UUID v4
 */
export function requestIdFor(incoming: string): string {
  return incoming.length >= 8 && incoming.length <= 128 && ACCEPTED_REQUEST_ID.test(incoming)
    ? incoming
    : randomUUID();
}

/**
 * Gives every request an id: the caller's `X-Request-Id` when it is 8–128 characters of
 * `[A-Za-z0-9._:-]`, otherwise a new UUID v4. Sets `ctx.state.requestId` and the response header.
 * Put it first, so error responses carry the id too.
 *
 * @example
 * app.use(requestId());
 * app.use(errorHandler(render));
 */
export function requestId(): Middleware<RequestIdState> {
  return async function requestId(ctx, next) {
    const id = requestIdFor(ctx.get('x-request-id'));
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
