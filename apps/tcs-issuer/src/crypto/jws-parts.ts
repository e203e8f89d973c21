/** The base64url alphabet, unpadded (RFC 7515 §2), one or more characters. */
export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A compact JWS's header or payload segment as a JSON object, or `null` for anything else: a
 * segment outside the unpadded base64url alphabet, one that is not canonically encoded (other
 * unused low bits, an impossible length), bytes that are not JSON, or JSON that is not an object.
 * Never throws.
 *
 * @example
 * decodeJsonSegment('eyJhbGciOiJFUzI1NiJ9'); // { alg: 'ES256' }
 * decodeJsonSegment('WzFd');                 // null (an array)
 */
export function decodeJsonSegment(segment: string): Record<string, unknown> | null {
  if (!BASE64URL.test(segment)) return null;
  const bytes = Buffer.from(segment, 'base64url');
  if (bytes.toString('base64url') !== segment) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
