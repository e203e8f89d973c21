import { instanceApiErrors, instanceAuthErrors } from '../catalogs/instance.js';
import { isCodedError } from '../coded-error.js';
import { exposedError, headersOf, type RenderedError, retryAfterOf, toJsonValue } from './common.js';

/** Request facts every Trusset envelope carries (SPEC §4.1). */
export interface TrussetMeta {
  /** Equals the `X-Request-Id` response header. */
  readonly requestId: string;
  /** ISO-8601. */
  readonly timestamp: string;
  /** Present once the caller is authenticated. */
  readonly instanceId?: string;
}

/** `metadata` of a success envelope: {@link TrussetMeta} plus list totals (SPEC §4.5). */
export interface TrussetSuccessMeta extends TrussetMeta {
  /** Total number of items of a list endpoint, before `limit`/`offset`. */
  readonly total?: number;
}

export interface TrussetErrorMetadata {
  /** Seconds; only when the error carries `retryAfterSeconds` (SPEC §4.6). */
  retryAfter?: number;
  requestId: string;
  timestamp: string;
  instanceId?: string;
}

export interface TrussetErrorBody {
  success: false;
  data: null;
  error: { code: string; message: string; details?: unknown };
  metadata: TrussetErrorMetadata;
}

export interface TrussetSuccessBody<T> {
  success: true;
  data: T;
  error: null;
  metadata: { requestId: string; timestamp: string; instanceId?: string; total?: number };
}

export interface TrussetRenderOptions {
  /**
   * The code of the masked 500 (SPEC §4.1): `'AUTH_ERROR'` inside authentication, else
   * `'INTERNAL_ERROR'` (the default).
   */
  readonly internalCode?: 'INTERNAL_ERROR' | 'AUTH_ERROR';
}

/**
 * Renders any thrown value as the Trusset error envelope (SPEC §4.1, §4.6). Never throws.
 *
 * An exposed {@link CodedError} keeps its status, code, message, details (when JSON-serialisable)
 * and headers; `retryAfterSeconds` becomes `metadata.retryAfter` and `retry-after`. Anything else
 * (a plain `Error`, an unexposed CodedError, a non-error) becomes a 500 `INTERNAL_ERROR` /
 * `AUTH_ERROR` with the catalog message: never the internal message, stack or cause. A CodedError
 * whose own code is `AUTH_ERROR` or `INTERNAL_ERROR` keeps that code.
 *
 * @param err - whatever was thrown
 * @param meta - request id and ISO-8601 timestamp, and the instance id once authenticated
 * @returns status, lower-case headers and the envelope body
 *
 * @example
 * ```ts
 * const out = renderTrusset(rateLimitErrors.error('RATE_LIMIT_EXCEEDED', { retryAfterSeconds: 42 }), {
 *   requestId: ctx.state.requestId,
 *   timestamp: new Date(now()).toISOString(),
 * });
 * // out.status 429, out.headers['retry-after'] '42', out.body.metadata.retryAfter 42
 * ```
 */
export function renderTrusset(
  err: unknown,
  meta: TrussetMeta,
  options: TrussetRenderOptions = {},
): RenderedError<TrussetErrorBody> {
  try {
    const exposed = exposedError(err);
    if (exposed === undefined) return masked(err, meta, options);
    const error: TrussetErrorBody['error'] = { code: exposed.code, message: exposed.message };
    if (exposed.details !== undefined) {
      const details = toJsonValue(exposed.details);
      if (details.ok) error.details = details.value;
    }
    return {
      status: exposed.status,
      headers: headersOf(exposed),
      body: { success: false, data: null, error, metadata: errorMetadata(meta, retryAfterOf(exposed)) },
    };
  } catch {
    return masked(undefined, meta, options);
  }
}

/**
 * Builds the Trusset success envelope `{ success: true, data, error: null, metadata }` (SPEC §4.1).
 * Returns the body only: the route picks the status (200, 201…).
 *
 * @param data - the response payload
 * @param meta - request id, ISO-8601 timestamp, instance id once authenticated, `total` for lists
 *
 * @example
 * ```ts
 * ctx.status = 201;
 * ctx.body = renderTrussetSuccess(created, { requestId, timestamp, instanceId: instance.id });
 * ```
 */
export function renderTrussetSuccess<T>(data: T, meta: TrussetSuccessMeta): TrussetSuccessBody<T> {
  const metadata: TrussetSuccessBody<T>['metadata'] = {
    requestId: meta.requestId,
    timestamp: meta.timestamp,
  };
  if (meta.instanceId !== undefined) metadata.instanceId = meta.instanceId;
  if (meta.total !== undefined) metadata.total = meta.total;
  return { success: true, data, error: null, metadata };
}

function errorMetadata(meta: TrussetMeta, retryAfter: number | undefined): TrussetErrorMetadata {
  // Key order follows the published 429 body: { retryAfter, requestId, timestamp }.
  const metadata: TrussetErrorMetadata =
    retryAfter === undefined
      ? { requestId: String(meta.requestId), timestamp: String(meta.timestamp) }
      : { retryAfter, requestId: String(meta.requestId), timestamp: String(meta.timestamp) };
  if (typeof meta.instanceId === 'string') metadata.instanceId = meta.instanceId;
  return metadata;
}

function masked(
  err: unknown,
  meta: TrussetMeta,
  options: TrussetRenderOptions,
): RenderedError<TrussetErrorBody> {
  const code = maskedCode(err, options);
  const message =
    code === 'AUTH_ERROR'
      ? instanceAuthErrors.spec('AUTH_ERROR').message
      : instanceApiErrors.spec('INTERNAL_ERROR').message;
  return {
    status: 500,
    headers: {},
    body: { success: false, data: null, error: { code, message }, metadata: errorMetadata(meta, undefined) },
  };
}

function maskedCode(err: unknown, options: TrussetRenderOptions): 'INTERNAL_ERROR' | 'AUTH_ERROR' {
  if (isCodedError(err) && (err.code === 'AUTH_ERROR' || err.code === 'INTERNAL_ERROR')) return err.code;
  return options.internalCode === 'AUTH_ERROR' ? 'AUTH_ERROR' : 'INTERNAL_ERROR';
}
