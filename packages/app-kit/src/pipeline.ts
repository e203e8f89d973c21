import { isDatabaseUnavailable } from '@portcullis/db';
import { isCodedError, type RenderedError } from '@portcullis/errors';
import { type ClientAddressOptions, clientAddress, errorResponder, requestIdFor } from '@portcullis/koa-auth';
import type Koa from 'koa';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import { errorForLog } from './logger.js';
import type { HistogramSeries, Metrics } from './metrics.js';
import { createTurnBarrier } from './turn.js';

export interface RequestPipelineOptions<S> {
  logger: Logger;
  metrics: Metrics;
  /** Renders anything thrown in the app's wire format (Trusset envelope, TCS…). Never throws. */
  render: (err: unknown, ctx: ParameterizedContext<S>) => RenderedError<unknown>;
  /** What a database outage becomes outside the auth middleware (a 503 of the app's catalog). */
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
   * socket, or with `trustProxy` the trusted right-most `X-Forwarded-For` entries.
   * Default: the socket.
   */
  clientAddress?: ClientAddressOptions;
}

/** Upper bounds of `http_request_duration_seconds`, in seconds: 0.5 ms to 10 s. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The `route` label of a request no route matched (404, 405, refused before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

// Methods that get a label value of their own; any other is `OTHER`. Node's parser accepts only
// the methods it knows, but the label set stays fixed whatever it accepts.
const LABELLED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The series of `http_request_duration_seconds` per (method, route template, status), resolved
 * once each: a request pays three Map lookups, never a labels object or a joined key.
 */
function requestSeries(metrics: Metrics): (method: string, route: string, status: number) => HistogramSeries {
  const histogram = metrics.histogram(
    'http_request_duration_seconds',
    'Time from the request reaching the app to its response being handed to Koa to write, by method, route template and status',
    ['method', 'route', 'status'],
    REQUEST_DURATION_BUCKETS,
  );
  const byMethod = new Map<string, Map<string, Map<number, HistogramSeries>>>();
  const other = new Map<string, Map<number, HistogramSeries>>();
  for (const method of LABELLED_METHODS) byMethod.set(method, new Map());
  return (method, route, status) => {
    const routes = byMethod.get(method) ?? other;
    let statuses = routes.get(route);
    if (statuses === undefined) {
      statuses = new Map();
      routes.set(route, statuses);
    }
    let series = statuses.get(status);
    if (series === undefined) {
      series = histogram.labels(routes === other ? 'OTHER' : method, route, String(status));
      statuses.set(status, series);
    }
    return series;
  };
}

/** The matched `@koa/router` pattern (`/api/v2/services/:service`), never the request's path. */
function routeTemplate(ctx: object): string {
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
}

/**
 * Installs the request pipeline every app puts before its routes, as one middleware (one promise
 * per request): the client address (`clientAddress()`, only with `trustProxy`), the request id
 * (`X-Request-Id`, the caller's when well-formed), errors in the app's wire format — database
 * outages mapped to `unavailable`, the router's 405/501 to `methodNotAllowed`, unmatched routes to
 * `notFound`, every coded error counted in `http_errors_total`, every 5xx logged without secrets —
 * `Cache-Control: no-store` on every response whose route does not set its own policy (a response
 * carrying a new secret is never cached; caching is opt-in per route, so a new route cannot forget
 * it), responses sent together at the end of each event-loop turn (`createTurnBarrier`: far fewer
 * wake-ups of the clients), the latency histogram `http_request_duration_seconds` by method, route
 * template and status, and a debug access-log line (path only: query strings are the caller's
 * data, headers are never logged). Makes Koa silent (all is logged here).
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
  const seriesOf = requestSeries(metrics);
  const errors = metrics.counter('http_errors_total', 'Error responses by code', ['code']);
  const debug = logger.isLevelEnabled('debug');
  const endOfTurn = options.batchResponses === false ? undefined : createTurnBarrier();

  // An outage is the app's 503, for the response and for the error counter alike.
  const mapped = (err: unknown): unknown =>
    !isCodedError(err) && isDatabaseUnavailable(err) ? unavailable(err) : err;
  const responder = errorResponder<S>((err, ctx) => render(mapped(err), ctx), {
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
  });

  // Counted and logged once the response is settled (and, batched, at the end of its turn).
  const finish = (ctx: ParameterizedContext<S>, started: number): void => {
    const seconds = (performance.now() - started) / 1000;
    seriesOf(ctx.method, routeTemplate(ctx), ctx.status).observe(seconds);
    if (debug) {
      logger.debug(
        {
          requestId: ctx.state.requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(seconds * 10_000) / 10,
          ...logFields?.(ctx),
        },
        'request',
      );
    }
  };

  if (options.clientAddress?.trustProxy) app.use(clientAddress(options.clientAddress));
  app.use(async function requestPipeline(ctx, next) {
    const started = performance.now();
    const header = ctx.req.headers['x-request-id'];
    const id = requestIdFor(typeof header === 'string' ? header : '');
    ctx.state.requestId = id;
    const res = ctx.res;
    res.setHeader('X-Request-Id', id);
    try {
      await next();
      responder.settle(ctx);
    } catch (err) {
      try {
        responder.fail(ctx, err);
      } catch (unrenderable) {
        // Half-sent: Koa closes the connection; the request still counts.
        finish(ctx, started);
        throw unrenderable;
      }
    }
    // After the error rendering (which drops a failing route's headers): whatever the outcome,
    // a response without a cache policy of its route's own is not stored anywhere.
    if (!res.hasHeader('cache-control')) res.setHeader('Cache-Control', 'no-store');
    // Koa writes the response once this middleware resolves: in the check phase of this turn,
    // with every other response of the turn, rather than between the turn's socket reads.
    if (endOfTurn !== undefined) await endOfTurn();
    finish(ctx, started);
  });
}
