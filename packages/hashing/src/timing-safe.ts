import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Why HMAC both sides first ("double HMAC" comparison):
// `crypto.timingSafeEqual` only accepts buffers of equal length and throws otherwise, and an early
// `a.length !== b.length` return would tell an attacker how long the secret is and let them probe it.
// Instead both strings are reduced to fixed-size HMAC-SHA-256 tags under a key that is random per
// process and never leaves this module, and the two 32-byte tags are compared in constant time.
// - The comparison time no longer depends on where the inputs first differ, nor on whether their
//   lengths match. Computing the tags is linear in the input lengths, so what remains observable is
//   at most the length of the inputs, never their content.
// - Because the key is secret, an attacker cannot relate the tags to their input, so even a leak in
//   the final comparison would say nothing about the secret; and finding two different strings with
//   equal tags is a SHA-256 HMAC forgery (probability ~2^-256), so the result equals `a === b`.
// The strings are fed to the HMAC as UTF-16LE code units, not UTF-8: UTF-8 encoding replaces every
// lone surrogate by U+FFFD, which would make 'a\uD800' and 'a\uDC00' compare equal. UTF-16LE maps
// each JavaScript string to a distinct byte sequence.
const comparisonKey = randomBytes(32);

function tag(value: string): Buffer {
  return createHmac('sha256', comparisonKey).update(value, 'utf16le').digest();
}

/**
 * Compares two secrets (API keys, tokens, digests, …) in time that does not depend on their
 * content, nor on whether their lengths match (SPEC §3, §8: constant-time comparisons for every
 * secret). Built on `crypto.timingSafeEqual` over HMAC-SHA-256 tags of both inputs.
 *
 * Never throws: inputs of any length and any content (including lone surrogates) are accepted,
 * and a non-string value reaching it at runtime compares unequal. Cost: one HMAC-SHA-256 per
 * input, about 1–2 µs for key-sized strings.
 *
 * @param a - A secret, e.g. the value presented by a client.
 * @param b - A secret, e.g. the expected value from configuration.
 * @returns `true` exactly when `a === b`.
 *
 * @example
 * ```ts
 * const presented = ctx.get('authorization').replace(/^Bearer /, '');
 * if (!timingSafeEqualString(presented, adminToken)) {
 *   throw adminErrors.error('UNAUTHORIZED');
 * }
 * ```
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  // Runtime guard for untyped callers (e.g. a JSON field that is a number): unequal, never a throw.
  if (typeof a !== 'string' || typeof b !== 'string') {
    return false;
  }
  return timingSafeEqual(tag(a), tag(b));
}
