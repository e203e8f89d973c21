/**
 * Why a value was not accepted as a key (SPEC §2):
 *
 * - `missing`: absent (`undefined`/`null`), empty, or only spaces and tabs.
 * - `wrong-prefix`: a string that does not start with the expected prefix (including a key of another kind).
 * - `malformed`: anything else that is not a valid key: right prefix but bad shape, longer than
 *   {@link MAX_KEY_LENGTH}, or not a string at all (number, object, array of repeated headers…).
 *
 * The MiCA surface answers `missing`/`wrong-prefix` and `malformed` differently (SPEC §5.1).
 */
export type KeyParseFailureReason = 'missing' | 'wrong-prefix' | 'malformed';

// The same shape as `Result` in @portcullis/errors, spelled out: this package has no dependencies.
/** A rejected key. Carries no part of the input, so it is always safe to log. */
export interface KeyParseFailure<R extends KeyParseFailureReason = KeyParseFailureReason> {
  readonly ok: false;
  readonly reason: R;
}

/**
 * Upper bound, in UTF-16 code units, on any value a parser looks at. Longer values are `malformed`
 * before any other check, so parsing cost is bounded whatever a client sends (SPEC §2).
 */
export const MAX_KEY_LENGTH = 256;

// Shared frozen failures: no allocation on the rejection path, and no caller can mutate them.
const MISSING: KeyParseFailure<'missing'> = Object.freeze({ ok: false, reason: 'missing' });
export const WRONG_PREFIX: KeyParseFailure<'wrong-prefix'> = Object.freeze({
  ok: false,
  reason: 'wrong-prefix',
});
export const MALFORMED: KeyParseFailure<'malformed'> = Object.freeze({ ok: false, reason: 'malformed' });

/**
 * The checks every parser runs first, in this order: type, length, blankness. Returns the string to
 * match, or the failure. Never reads more than {@link MAX_KEY_LENGTH} characters of the input and
 * never calls a method on a non-string (a hostile object's `toString` cannot run).
 */
export function preflight(input: unknown): string | KeyParseFailure<'missing' | 'malformed'> {
  if (input === undefined || input === null) return MISSING;
  if (typeof input !== 'string') return MALFORMED;
  // SPEC §2: bounded before any other work.
  if (input.length > MAX_KEY_LENGTH) return MALFORMED;
  if (isBlank(input)) return MISSING;
  return input;
}

// RFC 9110 §5.6.3: OWS is spaces and horizontal tabs. A header holding only OWS has an empty value.
function isBlank(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}
