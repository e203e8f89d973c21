/**
 * The closed set of HTTP error statuses that Portcullis catalogs may use.
 *
 * Closed on purpose: `defineCatalog` accepts only these, and {@link httpReasonPhrase} is an
 * exhaustive `switch` over them, so adding a status here without a reason phrase (or using an
 * unlisted status in a catalog) fails to compile.
 */
export const HTTP_ERROR_STATUSES = [400, 401, 403, 404, 405, 409, 413, 429, 500, 503] as const;

/** A status from {@link HTTP_ERROR_STATUSES}. */
export type HttpErrorStatus = (typeof HTTP_ERROR_STATUSES)[number];

const STATUS_SET: ReadonlySet<number> = new Set(HTTP_ERROR_STATUSES);

/**
 * Narrows an arbitrary value to {@link HttpErrorStatus}.
 *
 * @example
 * ```ts
 * isHttpErrorStatus(401); // true
 * isHttpErrorStatus(418); // false
 * ```
 */
export function isHttpErrorStatus(value: unknown): value is HttpErrorStatus {
  return typeof value === 'number' && STATUS_SET.has(value);
}

/**
 * Marks a branch the type checker has proven unreachable. Put it in the `default` of a `switch`
 * over a union so that a new member without a `case` fails to compile.
 *
 * Throws only if the types were bypassed at run time (a bug, never user input). The value is not
 * put in the message because callers may switch over values that should not be logged.
 *
 * @example
 * ```ts
 * switch (code) {
 *   case 'AUTH_REQUIRED': return 'warn';
 *   // …every other code…
 *   default: return assertNever(code);
 * }
 * ```
 */
export function assertNever(_value: never): never {
  throw new TypeError('Unreachable: a switch over a closed union received an unlisted value');
}

/**
 * The HTTP reason phrase of an error status (as Node's `http.STATUS_CODES` spells it), e.g. `'Unauthorized'` for 401. The TCS renderer
 * uses it for its `error` field.
 *
 * @param status - an HTTP status from the closed {@link HttpErrorStatus} union
 * @returns the reason phrase, title-cased as in RFC 9110
 *
 * @example
 * ```ts
 * httpReasonPhrase(403); // 'Forbidden'
 * ```
 */
export function httpReasonPhrase(status: HttpErrorStatus): string {
  switch (status) {
    case 400:
      return 'Bad Request';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'Not Found';
    case 405:
      return 'Method Not Allowed';
    case 409:
      return 'Conflict';
    // RFC 9110 §15.5.14 renamed it "Content Too Large"; we keep the phrase that Node's
    // http.STATUS_CODES and NestJS (the TCS wire format) still send.
    case 413:
      return 'Payload Too Large';
    case 429:
      return 'Too Many Requests';
    case 500:
      return 'Internal Server Error';
    case 503:
      return 'Service Unavailable';
    default:
      return assertNever(status);
  }
}
