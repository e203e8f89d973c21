import type { RenderedError } from '@portcullis/errors';
import type { Middleware, ParameterizedContext } from 'koa';

const KEPT_ON_ERROR = /^(?:x-request-id$|x-ratelimit-|dpop-nonce$)/i;

/** Turns anything thrown into a response for one wire format (Trusset, OAuth, TCS…). */
export type ErrorRenderer<S> = (err: unknown, ctx: ParameterizedContext<S>) => RenderedError<unknown>;

export interface ErrorHandlerOptions<S> {
  /**
   * The error to render when no route produced a response (Koa's default 404), e.g.
   * `instanceApiErrors.error('NOT_FOUND')`. Without it Koa's plain 404 stands.
   */
  notFound?: (ctx: ParameterizedContext<S>) => unknown;
  /**
   * The error to render for any other error status left without a body, e.g. the router's 405
   * (`allowedMethods()`) or 501 for a method no route knows; return `undefined` to leave the
   * response as it is. Headers already set (`Allow`) are kept. Without it Koa's plain text stands.
   */
  emptyError?: (status: number, ctx: ParameterizedContext<S>) => unknown;
  /**
   * Called once per rendered error, for logging and metrics. `err` is the original value; log
   * its message only for 5xx (they are yours), never request headers or bodies.
   */
  onError?: (err: unknown, rendered: RenderedError<unknown>, ctx: ParameterizedContext<S>) => void;
}

/**
 * Catches every error below it and answers with `render(err, ctx)`: status, headers and body.
 * Renderers mask anything that is not an exposed coded error as a 500 without its message, so no
 * stack trace or internal message reaches a client (SPEC §4.1).
 *
 * @example
 * app.use(requestId());
 * app.use(errorHandler((err, ctx) => renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date().toISOString() }), {
 *   notFound: () => instanceApiErrors.error('NOT_FOUND'),
 *   onError: (err, out) => { if (out.status >= 500) logger.error({ err }, 'request failed'); },
 * }));
 */
export function errorHandler<S>(
  render: ErrorRenderer<S>,
  options: ErrorHandlerOptions<S> = {},
): Middleware<S> {
  const responder = errorResponder(render, options);
  return async function errorHandler(ctx, next) {
    try {
      await next();
      responder.settle(ctx);
    } catch (err) {
      responder.fail(ctx, err);
    }
  };
}

/** The two halves of {@link errorHandler}, for a pipeline that runs them in a middleware of its own. */
export interface ErrorResponder<S> {
  /** After the routes ran without throwing: renders a bodiless 404 or other error status. */
  settle(ctx: ParameterizedContext<S>): void;
  /** For what the routes threw: renders it, or rethrows when the response is already half-sent. */
  fail(ctx: ParameterizedContext<S>, err: unknown): void;
}

/**
 * {@link errorHandler} without the middleware around it: `settle` after `await next()`, `fail`
 * in its `catch`. One middleware can then do the error handling and other per-request work
 * (request id, metrics) with a single promise per request.
 *
 * @example
 * const responder = errorResponder(render, { notFound });
 * app.use(async (ctx, next) => {
 *   try { await next(); responder.settle(ctx); } catch (err) { responder.fail(ctx, err); }
 * });
 */
export function errorResponder<S>(
  render: ErrorRenderer<S>,
  options: ErrorHandlerOptions<S> = {},
): ErrorResponder<S> {
  const { notFound, emptyError, onError } = options;

  const respond = (err: unknown, ctx: ParameterizedContext<S>): void => {
    const rendered = render(err, ctx);
    ctx.status = rendered.status;
    for (const [name, value] of Object.entries(rendered.headers)) ctx.set(name, value);
    ctx.body = rendered.body;
    onError?.(err, rendered, ctx);
  };

  return {
    settle(ctx) {
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) {
          if (notFound) respond(notFound(ctx), ctx);
        } else if (ctx.status >= 400 && emptyError) {
          const err = emptyError(ctx.status, ctx);
          if (err !== undefined) respond(err, ctx);
        }
      }
    },
    fail(ctx, err) {
      // A response half-sent (headers out, stream failing) cannot be replaced; let Koa close it.
      if (ctx.headerSent) throw err;
      // Drop headers a failing handler may have set (cache headers, Location…), as Koa's own
      // handler does, but keep those that describe the request rather than the response: the
      // request id, the rate-limit state (SPEC §4.1, §4.6 "headers on every limited response")
      // and the fresh DPoP nonce (SPEC §6.4 "every DPoP response carries a fresh DPoP-Nonce").
      for (const name of ctx.res.getHeaderNames()) {
        if (!KEPT_ON_ERROR.test(name)) ctx.remove(name);
      }
      respond(err, ctx);
    },
  };
}
