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
    const incoming = ctx.get('x-request-id');
    const id = incoming.length <= 128 && ACCEPTED_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
