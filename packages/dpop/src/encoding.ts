// Strict decoders shared by the proof verifier and the nonce issuer. Every function here is total:
// it returns `undefined` (or false) for anything malformed and never throws.
import { isUtf8 } from 'node:buffer';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Decoding target for the JSON parts of a proof (≤ 8 KiB of base64url gives ≤ 6 KiB). Reused: it
// is written and read within one synchronous call, so concurrent verifications never share it,
// and a proof costs no buffer allocation.
const scratch = Buffer.alloc(8_192);

/**
 * True for unpadded, canonical base64url (RFC 7515 §2, RFC 4648 §5): only alphabet characters, a
 * possible length, and zero unused trailing bits (RFC 4648 §3.5), so each byte string has exactly
 * one accepted spelling.
 */
export function isCanonicalBase64url(input: string): boolean {
  const rest = input.length % 4;
  if (rest === 1 || !BASE64URL.test(input)) return false;
  if (rest === 0) return true;
  // The last character carries 4 (rest 2) or 2 (rest 3) unused low bits.
  return (ALPHABET.indexOf(input.charAt(input.length - 1)) & (rest === 2 ? 0b1111 : 0b11)) === 0;
}

/** Decodes canonical unpadded base64url into a new buffer; `undefined` when not canonical. */
export function decodeBase64url(input: string): Buffer | undefined {
  return isCanonicalBase64url(input) ? Buffer.from(input, 'base64url') : undefined;
}

/**
 * The value of a base64url-encoded UTF-8 JSON object (a JOSE header or a JWT claims set), or
 * `undefined` for non-canonical base64url, invalid UTF-8, invalid JSON or a non-object.
 */
export function decodeJsonObject(input: string): Record<string, unknown> | undefined {
  if (input.length === 0 || !isCanonicalBase64url(input)) return undefined;
  const bytes =
    input.length <= (scratch.length / 3) * 4
      ? scratch.subarray(0, scratch.write(input, 'base64url'))
      : Buffer.from(input, 'base64url');
  if (!isUtf8(bytes)) return undefined;
  let value: unknown;
  try {
    // RFC 7515 §4 allows a parser that keeps the lexically last of duplicate names: JSON.parse does.
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  return isPlainObject(value) ? value : undefined;
}

/** A JSON object: not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property of a parsed JSON object (never one inherited from Object.prototype). */
export function own(object: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}
