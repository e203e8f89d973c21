import { randomHex } from './random.js';
import type { KeyParseFailure } from './result.js';
import { MALFORMED, preflight, WRONG_PREFIX } from './result.js';

/** A well-formed MiCA Register API key (SPEC §2, §5.1). */
export interface ParsedMicaKey {
  readonly ok: true;
  readonly kind: 'mica';
  /** The exact string that was validated. Digest this one (SPEC §3); never log it. */
  readonly key: string;
}

export type MicaKeyParseResult = ParsedMicaKey | KeyParseFailure;

/** A well-formed MiCA management token (SPEC §2, §5.2). */
export interface ParsedManagementToken {
  readonly ok: true;
  readonly kind: 'management-token';
  /** The exact string that was validated. Digest this one (SPEC §3); never log it. */
  readonly token: string;
}

/** A management token has no prefix, so it is never rejected as `wrong-prefix`. */
export type ManagementTokenParseResult = ParsedManagementToken | KeyParseFailure<'missing' | 'malformed'>;

/** Internal (not re-exported from the index): also used by the instance-key parser. */
export const MICA_PREFIX = 'trusset_mica_';
const MICA_KEY_LENGTH = 61;
const MICA_SECRET_BYTES = 24; // 48 hex characters, 192 bits
// SPEC §2, §5.2: the published `keyPrefix` is `trusset_mica_` + 9 characters.
const MICA_KEY_PREFIX_LENGTH = MICA_PREFIX.length + 9;
// Ours (SPEC §5.2 names `keyHint` but not its form): the last 4 characters.
const MICA_KEY_HINT_LENGTH = 4;
const MICA_PATTERN = /^trusset_mica_[0-9a-f]{48}$/;

const MANAGEMENT_TOKEN_BYTES = 32; // 64 hex characters, 256 bits
const MANAGEMENT_TOKEN_LENGTH = 64;
const MANAGEMENT_TOKEN_PATTERN = /^[0-9a-f]{64}$/;

/**
 * A new MiCA Register API key `trusset_mica_{48 hex}` (61 characters, 192-bit secret).
 *
 * @example
 * ```ts
 * const apiKey = generateMicaKey(); // 'trusset_mica_3fa9…' (61 chars)
 * ```
 */
export function generateMicaKey(): string {
  return `${MICA_PREFIX}${randomHex(MICA_SECRET_BYTES)}`;
}

/**
 * Parses an `X-API-Key` value as a MiCA key. Never throws; accepts any value.
 *
 * SPEC §5.1: `missing` and `wrong-prefix` answer `UNAUTHORIZED`, `malformed` answers `INVALID_KEY`.
 * Same preliminary checks as {@link parseInstanceKey}; then the value must start with `trusset_mica_`
 * (case-sensitive) and be followed by exactly 48 lowercase hex characters.
 *
 * @param input - the raw header value, whatever its type.
 * @example
 * ```ts
 * const parsed = parseMicaKey(ctx.get('x-api-key'));
 * if (!parsed.ok) return parsed.reason === 'malformed' ? 'INVALID_KEY' : 'UNAUTHORIZED';
 * ```
 */
export function parseMicaKey(input: unknown): MicaKeyParseResult {
  const key = preflight(input);
  if (typeof key !== 'string') return key;
  if (!key.startsWith(MICA_PREFIX)) return WRONG_PREFIX;
  if (key.length !== MICA_KEY_LENGTH || !MICA_PATTERN.test(key)) return MALFORMED;
  return { ok: true, kind: 'mica', key };
}

/**
 * The published `keyPrefix` of a MiCA key: `trusset_mica_` + its first 9 hex characters (22 characters,
 * 36 of 192 bits).
 *
 * @throws TypeError when `micaKey` is not a well-formed MiCA key (the message never contains it).
 * @example
 * ```ts
 * micaKeyPrefix(generateMicaKey()); // 'trusset_mica_3fa9c01d2'
 * ```
 */
export function micaKeyPrefix(micaKey: string): string {
  assertMicaKey(micaKey, 'micaKeyPrefix');
  return micaKey.slice(0, MICA_KEY_PREFIX_LENGTH);
}

/**
 * The `keyHint` of a MiCA key: its last 4 hex characters (16 of 192 bits). Together with
 * {@link micaKeyPrefix}, 35 hex characters (140 bits) stay unknown.
 *
 * @throws TypeError when `micaKey` is not a well-formed MiCA key (the message never contains it).
 * @example
 * ```ts
 * micaKeyHint(generateMicaKey()); // '7e0b'
 * ```
 */
export function micaKeyHint(micaKey: string): string {
  assertMicaKey(micaKey, 'micaKeyHint');
  return micaKey.slice(-MICA_KEY_HINT_LENGTH);
}

/**
 * A new MiCA management token: 64 lowercase hex characters (256 bits), no prefix (SPEC §2, published).
 *
 * @example
 * ```ts
 * const managementToken = generateManagementToken(); // '5c1e…' (64 chars)
 * ```
 */
export function generateManagementToken(): string {
  return randomHex(MANAGEMENT_TOKEN_BYTES);
}

/**
 * Parses a MiCA management token (the value after `Bearer `). Never throws; accepts any value.
 * `missing` for absent/empty/blank input, `malformed` for anything that is not exactly 64 lowercase hex.
 *
 * @param input - the token, whatever its type.
 * @example
 * ```ts
 * const parsed = parseManagementToken(bearerToken);
 * if (!parsed.ok) return parsed.reason === 'missing' ? 'UNAUTHORIZED' : 'INVALID_TOKEN';
 * ```
 */
export function parseManagementToken(input: unknown): ManagementTokenParseResult {
  const token = preflight(input);
  if (typeof token !== 'string') return token;
  if (token.length !== MANAGEMENT_TOKEN_LENGTH || !MANAGEMENT_TOKEN_PATTERN.test(token)) return MALFORMED;
  return { ok: true, kind: 'management-token', token };
}

function assertMicaKey(micaKey: string, caller: string): void {
  if (!parseMicaKey(micaKey).ok) throw new TypeError(`${caller} expects a well-formed MiCA key`);
}
