import { isDatabaseUnavailable } from '@portcullis/db';
import { isCodedError, type RenderedError } from '@portcullis/errors';
import { type ClientAddressOptions, clientAddress, errorHandler, requestId } from '@portcullis/koa-auth';
import type Koa from 'koa';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import { errorForLog } from './logger.js';
import type { Metrics } from './metrics.js';
import { createTurnBarrier } from './turn.js';

export interface RequestPipelineOptions<S> {
  logger: Logger;
  metrics: Metrics;
  /** Renders anything thrown in the app's wire format (Trusset envelope, TCS…). Never throws. */
  render: (err: unknown, ctx: ParameterizedContext<S>) => RenderedError<unknown>;
  /** SPEC §8: what a database outage becomes outside the auth middleware (a 503 of the app's catalog). */
  unavailable: (cause: unknown) => unknown;
  /** The answer when no route matched, e.g. 404 `NOT_FOUND` "Route not found". */
  notFound: () => unknown;
  /** The answer to the router's bodiless 405 (other method) and 501 (unknown method). */
  methodNotAllowed: () => unknown;
  /** Errors that are an expected overload signal: rendered and counted, never logged as failures. */
  quiet?: (err: unknown) => boolean;
  /** Called once per rendered error after the standard counting and logging (app metrics). */
  onError?: (err: unknown, rendered: RenderedError<unknown>, ctx: ParameterizedContext<S>) => void;
  /** Extra fields of the debug access-log line, e.g. the authenticated principal's id (never secrets). */
  logFields?: (ctx: ParameterizedContext<S>) => Record<string, unknown>;
  /**
   * Send each response in the check phase of the event-loop turn that produced it, with the
   * turn's other responses (see `createTurnBarrier`). Default true.
   */
  batchResponses?: boolean;
  /**
   * Where the client address (`ctx.ip`, the key of every per-address limit) comes from: the
   * socket, or with `trustProxy` the trusted right-most `X-Forwarded-For` entries (SPEC §8).
   * Default: the socket.
   */
  clientAddress?: ClientAddressOptions;
}

/**
 * Installs the request pipeline every app puts before its routes: the client address
 * (`clientAddress()`, SPEC §8), `Cache-Control: no-store` on every response whose route does not
 * set its own policy (SPEC §8: a response carrying a new secret is never cached; caching is
 * opt-in per route, so a new route cannot forget it), responses sent together at the end of each
 * event-loop turn (`createTurnBarrier`: far fewer wake-ups of the clients, SPEC §9), `requestId()`, a request
 * counter (`http_requests_total` by method and status) with a debug access-log line (path only:
 * query strings are the caller's data, headers are never logged), and `errorHandler` in the app's
 * wire format — database outages mapped to `unavailable` (SPEC §8), the router's 405/501 to
 * `methodNotAllowed`, unmatched routes to `notFound`, every coded error counted in
 * `http_errors_total`, every 5xx logged without secrets. Makes Koa silent (all is logged here).
 *
 * @example
 * useRequestPipeline(app, {
 *   logger, metrics,
 *   render: (err, ctx) => renderTrusset(err, { requestId: ctx.state.requestId, timestamp: new Date().toISOString() }),
 *   unavailable: (cause) => instanceApiErrors.error('SERVICE_UNAVAILABLE', { cause }),
 *   notFound: () => instanceApiErrors.error('NOT_FOUND', { message: 'Route not found' }),
 *   methodNotAllowed: () => instanceApiErrors.error('METHOD_NOT_ALLOWED'),
 * });
 */
export function useRequestPipeline<S extends { requestId: string }>(
  app: Koa<S>,
  options: RequestPipelineOptions<S>,
): void {
  const { logger, metrics, render, unavailable, notFound, methodNotAllowed, quiet, onError, logFields } =
    options;
  app.silent = true;
  const requests = metrics.counter('http_requests_total', 'HTTP requests by method and status', [
    'method',
    'status',
  ]);
  const errors = metrics.counter('http_errors_total', 'Error responses by code', ['code']);
  const debug = logger.isLevelEnabled('debug');
  const endOfTurn = options.batchResponses === false ? undefined : createTurnBarrier();

  if (options.clientAddress?.trustProxy) app.use(clientAddress(options.clientAddress));
  app.use(requestId());
  app.use(async function accessLog(ctx, next) {
    const started = debug ? performance.now() : 0;
    try {
      await next();
      // Koa writes the response once this middleware resolves: in the check phase of this turn,
      // with every other response of the turn, rather than between the turn's socket reads.
      if (endOfTurn !== undefined) await endOfTurn();
    } finally {
      // After the error handler (which drops a failing route's headers): whatever the outcome,
      // a response without a cache policy of its route's own is not stored anywhere.
      if (!ctx.res.hasHeader('cache-control')) ctx.set('Cache-Control', 'no-store');
      requests.inc(ctx.method, String(ctx.status));
      if (debug) {
        logger.debug(
          {
            requestId: ctx.state.requestId,
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms: Math.round((performance.now() - started) * 10) / 10,
            ...logFields?.(ctx),
          },
          'request',
        );
      }
    }
  });
  // SPEC §8: an outage is the app's 503, for the response and for the error counter alike.
  const mapped = (err: unknown): unknown =>
    !isCodedError(err) && isDatabaseUnavailable(err) ? unavailable(err) : err;
  app.use(
    errorHandler<S>((err, ctx) => render(mapped(err), ctx), {
      notFound,
      // The router's 405 (known path, other method) and 501 (a method no route has, which
      // would read as a server fault) both become a 405 in the app's format.
      emptyError: (status) => (status === 405 || status === 501 ? methodNotAllowed() : undefined),
      onError: (err, rendered, ctx) => {
        const coded = mapped(err);
        if (isCodedError(coded)) errors.inc(coded.code);
        if (rendered.status >= 500 && !quiet?.(err)) {
          logger.error(
            { err: errorForLog(err), requestId: ctx.state.requestId, path: ctx.path },
            'request failed',
          );
        }
        onError?.(err, rendered, ctx);
      },
    }),
  );
}
