import { exposedError, headersOf, type RenderedError } from './common.js';

export interface OAuthRenderOptions {
  /** Scheme of the 401 challenge. Default `'DPoP'` (RFC 9449 §7.1); `'Bearer'` is RFC 6750 §3. */
  readonly scheme?: 'DPoP' | 'Bearer';
  /** DPoP challenge `algs` (RFC 9449 §7.1). Default `['ES256', 'EdDSA']` (SPEC §6.1). Ignored for Bearer. */
  readonly algs?: readonly string[];
  /** Optional `realm` auth-param (RFC 9110 §11.5). */
  readonly realm?: string;
}

/** RFC 6749 §5.2 error response body. */
export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

const DEFAULT_ALGS: readonly string[] = ['ES256', 'EdDSA'];
const SERVER_ERROR: OAuthErrorBody = { error: 'server_error', error_description: 'Internal server error' };
// Bounds the challenge header whatever message a caller passes.
const MAX_PARAM_LENGTH = 256;

/**
 * Renders any thrown value as an OAuth error response (RFC 6749 §5.2, RFC 6750 §3, RFC 9449 §7.1;
 * SPEC §6.1, §6.4). Never throws.
 *
 * An exposed {@link CodedError} gives `{ error: code, error_description: message }` with its status
 * and headers (so a `DPoP-Nonce` it carries reaches the client); on a 401 the renderer adds
 * `www-authenticate` with the same error and description. Every response gets
 * `cache-control: no-store`. Anything else becomes 500 `server_error` with a fixed description.
 *
 * @param err - whatever was thrown
 * @param options - challenge scheme, DPoP algorithms, realm
 * @returns status, lower-case headers and the body
 *
 * @example
 * ```ts
 * renderOAuth(credentialEndpointErrors.error('use_dpop_nonce', { headers: { 'DPoP-Nonce': nonce } }));
 * // status 401, headers: { 'dpop-nonce': nonce, 'cache-control': 'no-store',
 * //   'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="…", algs="ES256 EdDSA"' }
 * ```
 */
export function renderOAuth(err: unknown, options: OAuthRenderOptions = {}): RenderedError<OAuthErrorBody> {
  try {
    const exposed = exposedError(err);
    if (exposed === undefined) return serverError();
    const body: OAuthErrorBody = { error: exposed.code, error_description: exposed.message };
    // Renderer-owned headers are set last so an error cannot override them.
    const headers = headersOf(exposed);
    headers['cache-control'] = 'no-store';
    if (exposed.status === 401) headers['www-authenticate'] = challenge(body, options);
    return { status: exposed.status, headers, body };
  } catch {
    return serverError();
  }
}

/**
 * Builds one challenge, e.g. `DPoP error="invalid_token", error_description="…", algs="ES256 EdDSA"`.
 * Exported for the Koa adapter, which also needs a bare challenge for 401s it raises itself.
 *
 * @example
 * ```ts
 * wwwAuthenticate('Bearer', { error: 'invalid_token', error_description: 'Token expired' });
 * // 'Bearer error="invalid_token", error_description="Token expired"'
 * ```
 */
export function wwwAuthenticate(
  scheme: 'DPoP' | 'Bearer',
  params: { readonly error?: string; readonly error_description?: string },
  options: Omit<OAuthRenderOptions, 'scheme'> = {},
): string {
  const parts: string[] = [];
  if (options.realm !== undefined) parts.push(`realm=${quotedString(options.realm)}`);
  if (params.error !== undefined) parts.push(`error=${quotedString(params.error)}`);
  if (params.error_description !== undefined) {
    parts.push(`error_description=${quotedString(params.error_description)}`);
  }
  if (scheme === 'DPoP') {
    const algs = (options.algs ?? DEFAULT_ALGS).filter((alg) => typeof alg === 'string' && alg.length > 0);
    if (algs.length > 0) parts.push(`algs=${quotedString(algs.join(' '))}`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

/**
 * RFC 9110 §5.6.4 quoted-string. `\` and `"` are backslash-escaped. Control characters (CR and LF
 * included: a header must never be split) become spaces, and non-ASCII becomes `?`, because Node
 * rejects header values outside Latin-1 and obs-text is best avoided. Long values are cut.
 */
export function quotedString(value: string): string {
  const safe = String(value)
    .slice(0, MAX_PARAM_LENGTH)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/[\\"]/g, '\\$&');
  return `"${safe}"`;
}

function challenge(body: OAuthErrorBody, options: OAuthRenderOptions): string {
  return wwwAuthenticate(options.scheme === 'Bearer' ? 'Bearer' : 'DPoP', body, options);
}

function serverError(): RenderedError<OAuthErrorBody> {
  return { status: 500, headers: { 'cache-control': 'no-store' }, body: { ...SERVER_ERROR } };
}
