import { tcsApiErrors } from '../catalogs/tcs.js';
import { httpReasonPhrase } from '../status.js';
import { exposedError, headersOf, type RenderedError } from './common.js';

/** The TCS (NestJS-style) error body, SPEC §6.1. */
export interface TcsErrorBody {
  statusCode: number;
  message: string;
  /** HTTP reason phrase of `statusCode`, e.g. `'Unauthorized'`. */
  error: string;
}

/**
 * Renders any thrown value as a TCS API-key / admin error (SPEC §6.1):
 * `{ statusCode, message, error }`, where `error` is the reason phrase from the exhaustive
 * {@link httpReasonPhrase}. Never throws.
 *
 * An exposed {@link CodedError} keeps its status, message and headers (`retry-after` from
 * `retryAfterSeconds`). Anything else becomes `{ statusCode: 500, message: 'Internal server error',
 * error: 'Internal Server Error' }`.
 *
 * @param err - whatever was thrown
 * @returns status, lower-case headers and the body
 *
 * @example
 * ```ts
 * renderTcs(tcsApiKeyErrors.error('API_KEY_REQUIRED')).body;
 * // { statusCode: 401, message: 'API Key is required', error: 'Unauthorized' }
 * ```
 */
export function renderTcs(err: unknown): RenderedError<TcsErrorBody> {
  try {
    const exposed = exposedError(err);
    if (exposed === undefined) return internalError();
    return {
      status: exposed.status,
      headers: headersOf(exposed),
      body: { statusCode: exposed.status, message: exposed.message, error: httpReasonPhrase(exposed.status) },
    };
  } catch {
    return internalError();
  }
}

function internalError(): RenderedError<TcsErrorBody> {
  return {
    status: 500,
    headers: {},
    body: {
      statusCode: 500,
      message: tcsApiErrors.spec('INTERNAL_ERROR').message,
      error: httpReasonPhrase(500),
    },
  };
}
