import { type CodedError, isCodedError } from '../coded-error.js';
import { cleanHeaders } from '../headers.js';
import type { Result } from '../result.js';
import { type HttpErrorStatus, isHttpErrorStatus } from '../status.js';

/**
 * What every renderer returns: plain data, no framework types. `headers` names are lower case.
 * The Koa adapter copies `status`, sets each header and assigns `body`.
 */
export interface RenderedError<Body> {
  readonly status: HttpErrorStatus;
  readonly headers: Record<string, string>;
  readonly body: Body;
}

/**
 * The error a renderer may describe to the client, or `undefined` when it must render the masked
 * 500 instead: anything that is not a CodedError, an unexposed CodedError, or one whose fields were
 * tampered with at run time.
 */
export function exposedError(err: unknown): CodedError | undefined {
  if (!isCodedError(err) || err.expose !== true) return undefined;
  if (!isHttpErrorStatus(err.status) || typeof err.code !== 'string' || typeof err.message !== 'string') {
    return undefined;
  }
  return err;
}

/** The error's own headers (cleaned again: fields are readonly only at compile time) plus `retry-after`. */
export function headersOf(err: CodedError): Record<string, string> {
  const headers = cleanHeaders(err.headers);
  const retry = err.retryAfterSeconds;
  // RFC 9110 §10.2.3: delay-seconds is a non-negative integer.
  if (typeof retry === 'number' && Number.isSafeInteger(retry) && retry >= 0) {
    headers['retry-after'] = String(retry);
  }
  return headers;
}

/** `retryAfterSeconds` when it is a valid delay, else `undefined`. */
export function retryAfterOf(err: CodedError): number | undefined {
  const retry = err.retryAfterSeconds;
  return typeof retry === 'number' && Number.isSafeInteger(retry) && retry >= 0 ? retry : undefined;
}

// One frozen refusal: the renderer drops the details either way and keeps nothing of the cause.
const NOT_SERIALISABLE = Object.freeze({ ok: false, reason: 'not_serialisable' } as const);

/**
 * A JSON round-trip copy of `value`, or `reason: 'not_serialisable'` when it cannot be serialised
 * (a cycle, a BigInt, a throwing getter or `toJSON`) or serialises to nothing (a function,
 * `undefined`). Renderers promise a body that `JSON.stringify` accepts.
 */
export function toJsonValue(value: unknown): Result<{ value: unknown }, 'not_serialisable'> {
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return NOT_SERIALISABLE;
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return NOT_SERIALISABLE;
  }
}
