import { cleanHeaders } from './headers.js';
import { type HttpErrorStatus, isHttpErrorStatus } from './status.js';

/** What a caller may add when it creates an error from a catalog. */
export interface CodedErrorOptions {
  /**
   * Replaces the catalog message. Sent to the client only when the error is exposed; for an
   * unexposed error it is for logs (so it may name the failing dependency, but never a secret).
   */
  readonly message?: string;
  /** Client-visible structured detail (e.g. the bad fields of a `VALIDATION_ERROR`); exposed errors only. */
  readonly details?: unknown;
  /** Extra response headers (e.g. `DPoP-Nonce`); merged over the catalog's, names lower-cased. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The underlying error, for logs. Never rendered and never in `toJSON()`. */
  readonly cause?: unknown;
  /**
   * Seconds until the client may retry. Renderers derive the `retry-after` header from it, and the
   * Trusset envelope also puts it in `metadata.retryAfter` (SPEC §4.6). Rounded up to a whole second;
   * ignored unless it is a finite number ≥ 0.
   */
  readonly retryAfterSeconds?: number;
}

/** Everything a {@link CodedError} is made from. Catalogs fill this in; tests may call it directly. */
export interface CodedErrorInit<C extends string> extends CodedErrorOptions {
  readonly code: C;
  readonly status: HttpErrorStatus;
  readonly message: string;
  /** May the client see `message` and `details`? Defaults to `status < 500` (Koa's `err.expose`). */
  readonly expose?: boolean;
}

/** The body `toJSON()` gives an unexposed error, whatever its internal message. */
const MASKED_MESSAGE = 'Internal server error';

/**
 * An error with a stable machine-readable `code` and the HTTP facts a renderer needs.
 *
 * `status`, `expose` and `headers` follow the Koa / http-errors conventions, so even Koa's default
 * handler treats it safely. `headers` names are lower case; invalid header fields are dropped.
 *
 * @example
 * ```ts
 * const err = new CodedError({ code: 'AUTH_FAILED', status: 401, message: 'Invalid or expired API key' });
 * err.expose; // true (status < 500)
 * ```
 */
export class CodedError<C extends string = string> extends Error {
  override readonly name = 'CodedError';
  readonly code: C;
  readonly status: HttpErrorStatus;
  readonly expose: boolean;
  readonly details?: unknown;
  readonly headers: Readonly<Record<string, string>>;
  readonly retryAfterSeconds?: number;

  constructor(init: CodedErrorInit<C>) {
    // A bad status can only come from a cast around the types: a programming error, so fail loudly.
    if (!isHttpErrorStatus(init.status)) throw new TypeError('CodedError: status is not an HttpErrorStatus');
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status;
    this.expose = init.expose ?? init.status < 500;
    if (init.details !== undefined) this.details = init.details;
    this.headers = Object.freeze(cleanHeaders(init.headers));
    const retry = init.retryAfterSeconds;
    if (typeof retry === 'number' && Number.isFinite(retry) && retry >= 0) {
      this.retryAfterSeconds = Math.ceil(retry);
    }
  }

  /**
   * The client-safe view, so an error that ends up in `JSON.stringify` (or as a response body by
   * accident) leaks nothing: never `cause` or `stack`, and for an unexposed error neither its
   * message nor its details.
   *
   * @example
   * ```ts
   * JSON.stringify(instanceAuthErrors.error('AUTH_FAILED'));
   * // '{"code":"AUTH_FAILED","status":401,"message":"Invalid or expired API key"}'
   * ```
   */
  toJSON(): { code: C; status: HttpErrorStatus; message: string; details?: unknown } {
    if (!this.expose) return { code: this.code, status: this.status, message: MASKED_MESSAGE };
    return this.details === undefined
      ? { code: this.code, status: this.status, message: this.message }
      : { code: this.code, status: this.status, message: this.message, details: this.details };
  }
}

/**
 * Narrows `value` to a {@link CodedError} (an `instanceof` check: a plain object with the same
 * fields is not one, so nothing deserialised from a request can pass for an error we raised).
 *
 * @example
 * ```ts
 * if (isCodedError(err) && err.status === 401) { … }
 * ```
 */
export function isCodedError(value: unknown): value is CodedError {
  return value instanceof CodedError;
}
