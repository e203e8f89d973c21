// RFC 9449 §4.3 step 9 and its note: compare `htu` with the request URI after syntax-based
// (RFC 3986 §6.2.2) and scheme-based (§6.2.3) normalization. The normalizer is deliberately
// narrower than a browser URL parser: it accepts only absolute http(s) URIs made of RFC 3986
// characters, and anything it cannot normalize simply never matches.

// The shape of `Result` in @portcullis/errors, spelled out: this package does not depend on it.
// The reason is a short sentence (for tests and debugging), not a code.
/** An http(s) URI reduced to `scheme://host[:port]/path`, plus whether it had a query or fragment. */
export type NormalizedHttpUri =
  | { ok: true; uri: string; hasQuery: boolean; hasFragment: boolean }
  | { ok: false; reason: string };

const MAX_URI_LENGTH = 4096;
// RFC 3986 §2: unreserved, gen-delims, sub-delims and '%'. Nothing else may appear in a URI.
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/;
// A DNS name or IPv4 address (reg-name without percent-encoding or sub-delims), or an IPv6 literal.
const HOST = /^(?:[a-z0-9._~-]+|\[[0-9a-f:.]+\])$/;
const PORT = /^[0-9]{0,5}$/;
const DEFAULT_PORT: Readonly<Record<string, string>> = { http: '80', https: '443' };
const PERCENT = /%(..)?/g;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * Normalizes an absolute `http`/`https` URI for the `htu` comparison:
 *
 * - scheme and host lower case (§6.2.2.1); the port dropped when it is the scheme's default or
 *   empty, leading zeros removed (§6.2.3);
 * - percent-encodings: hex digits upper case, and unreserved characters decoded (§6.2.2.1, §6.2.2.2);
 * - `.` and `..` segments removed (§6.2.2.3, §5.2.4); an empty path becomes `/` (§6.2.3);
 * - query and fragment cut off (and reported, so a proof's `htu` carrying them can be refused).
 *
 * Userinfo, non-ASCII, hosts with percent-encoding, and invalid percent-encodings are refused, so
 * two different URIs can never normalize to the same string by leniency. Never throws.
 *
 * @example
 * ```ts
 * normalizeHttpUri('HTTPS://Issuer.Example:443/a/./b/%7euser?x=1');
 * // { ok: true, uri: 'https://issuer.example/a/b/~user', hasQuery: true, hasFragment: false }
 * ```
 */
export function normalizeHttpUri(input: string): NormalizedHttpUri {
  if (input.length > MAX_URI_LENGTH) return { ok: false, reason: 'too long' };
  if (!URI_CHARACTERS.test(input)) return { ok: false, reason: 'characters outside RFC 3986' };
  const match = ABSOLUTE.exec(input);
  if (match === null) return { ok: false, reason: 'not an absolute URI with an authority' };
  const [, rawScheme = '', authority = '', rawPath = '', query, fragment] = match;

  const scheme = rawScheme.toLowerCase();
  const defaultPort = DEFAULT_PORT[scheme];
  if (defaultPort === undefined) return { ok: false, reason: 'scheme is not http or https' };
  if (authority.includes('@')) return { ok: false, reason: 'userinfo is not allowed' };

  // The port follows the last ':' outside an IPv6 literal.
  const portAt = authority.lastIndexOf(':');
  const hasPort = portAt > authority.lastIndexOf(']');
  const host = (hasPort ? authority.slice(0, portAt) : authority).toLowerCase();
  const rawPort = hasPort ? authority.slice(portAt + 1) : '';
  if (!HOST.test(host)) return { ok: false, reason: 'invalid host' };
  if (!PORT.test(rawPort)) return { ok: false, reason: 'invalid port' };
  let port = '';
  if (rawPort !== '') {
    const value = Number.parseInt(rawPort, 10);
    if (value > 65_535) return { ok: false, reason: 'invalid port' };
    if (String(value) !== defaultPort) port = `:${value}`;
  }

  const path = normalizePercentEncoding(rawPath);
  if (path === undefined) return { ok: false, reason: 'invalid percent-encoding' };
  return {
    ok: true,
    uri: `${scheme}://${host}${port}${removeDotSegments(path)}`,
    hasQuery: query !== undefined,
    hasFragment: fragment !== undefined,
  };
}

/** RFC 3986 §6.2.2.1–2: upper-case hex digits, decode unreserved characters. */
function normalizePercentEncoding(path: string): string | undefined {
  let valid = true;
  const out = path.replace(PERCENT, (_, hex: string | undefined) => {
    if (hex === undefined || !HEX2.test(hex)) {
      valid = false;
      return '';
    }
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return valid ? out : undefined;
}

/** RFC 3986 §5.2.4 for an absolute path (`''` or starting with `/`); `''` becomes `/`. */
function removeDotSegments(path: string): string {
  const segments = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (segment === '.') {
      if (last) out.push('');
    } else if (segment === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  }
  return `/${out.join('/')}`;
}
