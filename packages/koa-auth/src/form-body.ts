import type { Middleware } from 'koa';
import { readBounded } from './json-body.js';

/** State set by {@link formBody}: the parameters, or `undefined` when the request had no body. */
export interface FormBodyState {
  body?: Record<string, string> | undefined;
}

/** Why a form body is refused; each maps to the app's 400. */
export type FormBodyProblem = 'content-type' | 'encoding' | 'repeated' | 'too-many';

export interface FormBodyOptions {
  /** Largest accepted body, in bytes. Default 65 536 (a token request is a few hundred bytes). */
  limitBytes?: number;
  /** Most parameters accepted. Default 64. */
  maxParameters?: number;
  /** The app's error for a body over `limitBytes` (its 413). */
  tooLarge: () => unknown;
  /** The app's error for a body that is not an acceptable form (its 400). `name` is the repeated parameter. */
  invalid: (problem: FormBodyProblem, name?: string) => unknown;
}

/**
 * Reads an `application/x-www-form-urlencoded` body (OAuth token requests, RFC 6749 §4.1.3) into
 * `ctx.state.body` as one string per parameter: bounded size and count, strict UTF-8 after
 * percent-decoding, and a parameter sent twice is refused (RFC 6749 §3.2: "Request and response
 * parameters MUST NOT be included more than once"), so no reader can pick a different copy than
 * the one checked. An empty body leaves `ctx.state.body` `undefined`. Never throws anything but the
 * configured errors.
 *
 * @example
 * router.post('/token', formBody({
 *   tooLarge: () => tokenEndpointErrors.error('invalid_request', { message: 'Request body is too large' }),
 *   invalid: () => tokenEndpointErrors.error('invalid_request', { message: 'Malformed form body' }),
 * }), token);
 */
export function formBody(options: FormBodyOptions): Middleware<FormBodyState> {
  const limitBytes = options.limitBytes ?? 65_536;
  const maxParameters = options.maxParameters ?? 64;
  const { tooLarge, invalid } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true });

  return async function formBody(ctx, next) {
    ctx.state.body = undefined;
    const bytes = await readBounded(ctx, limitBytes, tooLarge);
    if (bytes.length === 0) return next();
    const type = ctx.get('content-type').split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (type !== 'application/x-www-form-urlencoded') throw invalid('content-type');
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw invalid('encoding');
    }
    const params: Record<string, string> = Object.create(null);
    let count = 0;
    for (const pair of text.split('&')) {
      if (pair === '') continue;
      if (++count > maxParameters) throw invalid('too-many');
      const at = pair.indexOf('=');
      const name = decodeComponent(at === -1 ? pair : pair.slice(0, at));
      const value = decodeComponent(at === -1 ? '' : pair.slice(at + 1));
      if (name === undefined || value === undefined) throw invalid('encoding');
      if (Object.hasOwn(params, name)) throw invalid('repeated', name);
      params[name] = value;
    }
    // A plain object from here on: schemas and handlers see ordinary own properties.
    ctx.state.body = { ...params };
    await next();
  };
}

// `+` is a space in forms (WHATWG URL "application/x-www-form-urlencoded"); a bad `%` escape or
// an encoded lone surrogate is refused rather than guessed.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeComponent(text: string): string | undefined {
  try {
    const decoded = decodeURIComponent(text.replace(/\+/g, ' '));
    return LONE_SURROGATE.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}
