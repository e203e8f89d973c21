import { CodedError, type CodedErrorOptions } from './coded-error.js';
import { headersAreValid } from './headers.js';
import { type HttpErrorStatus, isHttpErrorStatus } from './status.js';

/** One catalog entry as written in `defineCatalog({ CODE: { … } })`. */
export interface ErrorSpec {
  /** HTTP status, from the closed {@link HttpErrorStatus} union (anything else fails to compile). */
  readonly status: HttpErrorStatus;
  /** Default message. Sent to clients when the error is exposed, so write it for them. */
  readonly message: string;
  /** May clients see the message and details? Defaults to `status < 500`. */
  readonly expose?: boolean;
  /** Headers every error of this code carries. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A catalog entry with its defaults filled in, as returned by {@link Catalog.spec}. */
export interface ResolvedErrorSpec {
  readonly status: HttpErrorStatus;
  readonly message: string;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;
}

/** A named set of error codes with their HTTP status and default message. */
export interface Catalog<Code extends string> {
  /** Every code of the catalog, in definition order. */
  readonly codes: readonly Code[];
  /**
   * Creates the error for `code`. Never throws.
   *
   * @example
   * ```ts
   * throw instanceApiErrors.error('NOT_FOUND', { message: 'API key not found' });
   * ```
   */
  error<K extends Code>(code: K, options?: CodedErrorOptions): CodedError<K>;
  /**
   * True when `err` was created by this catalog's `error()` (identity, not just a matching code:
   * two catalogs may both define `UNAUTHORIZED` with different messages).
   */
  is(err: unknown): err is CodedError<Code>;
  /** True when `code` is one of this catalog's codes. */
  has(code: string): code is Code;
  /** The entry for `code`, defaults filled in. */
  spec(code: Code): ResolvedErrorSpec;
}

/** The code union of a catalog: `CodeOf<typeof instanceAuthErrors>`. */
export type CodeOf<C> = C extends Catalog<infer K> ? K : never;

// Which catalog made which error. A WeakMap keeps the link off the error object itself, so it
// cannot be forged, serialised or copied along with the error's fields.
const origin = new WeakMap<CodedError, Catalog<string>>();

/**
 * Defines an error catalog. The `const` type parameter keeps each code as a literal, so the
 * catalog's code union is inferred and can be `switch`ed on exhaustively.
 *
 * Throws a `TypeError` at definition time (module load) for an entry the types would also reject
 * when bypassed: a status outside {@link HttpErrorStatus}, an empty message or an invalid header.
 *
 * @example
 * ```ts
 * const keyErrors = defineCatalog({
 *   KEY_REQUIRED: { status: 401, message: 'API key required' },
 *   STORE_DOWN: { status: 500, message: 'Key store unavailable' }, // expose defaults to false
 * });
 * throw keyErrors.error('KEY_REQUIRED');
 * ```
 */
export function defineCatalog<const S extends Readonly<Record<string, ErrorSpec>>>(
  spec: S,
): Catalog<Extract<keyof S, string>> {
  type Code = Extract<keyof S, string>;
  const entries = new Map<string, ResolvedErrorSpec>();
  for (const [code, entry] of Object.entries(spec)) {
    if (code.length === 0) throw new TypeError('defineCatalog: empty error code');
    if (!isHttpErrorStatus(entry.status)) {
      throw new TypeError(`defineCatalog: ${code} has a status outside HttpErrorStatus`);
    }
    if (typeof entry.message !== 'string' || entry.message.length === 0) {
      throw new TypeError(`defineCatalog: ${code} has no message`);
    }
    if (entry.headers !== undefined && !headersAreValid(entry.headers)) {
      throw new TypeError(`defineCatalog: ${code} has an invalid header`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(entry.headers ?? {})) headers[name.toLowerCase()] = value;
    entries.set(
      code,
      Object.freeze({
        status: entry.status,
        message: entry.message,
        expose: entry.expose ?? entry.status < 500,
        headers: Object.freeze(headers),
      }),
    );
  }
  const codes = Object.freeze([...entries.keys()]) as readonly Code[];

  const resolve = (code: string): ResolvedErrorSpec => {
    const entry = entries.get(code);
    // Reachable only by casting around the Code type: a programming error.
    if (entry === undefined) throw new TypeError('Catalog: unknown error code');
    return entry;
  };

  const catalog: Catalog<Code> = Object.freeze({
    codes,
    error<K extends Code>(code: K, options: CodedErrorOptions = {}): CodedError<K> {
      const entry = resolve(code);
      const err = new CodedError<K>({
        ...options,
        code,
        status: entry.status,
        expose: entry.expose,
        message: options.message ?? entry.message,
        headers: { ...entry.headers, ...options.headers },
      });
      origin.set(err, catalog);
      return err;
    },
    is(err: unknown): err is CodedError<Code> {
      return err instanceof CodedError && origin.get(err) === catalog;
    },
    has(code: string): code is Code {
      return entries.has(code);
    },
    spec(code: Code): ResolvedErrorSpec {
      return resolve(code);
    },
  });
  return catalog;
}
