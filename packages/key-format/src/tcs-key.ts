import { randomHex } from './random.js';
import type { KeyParseFailure } from './result.js';
import { MALFORMED, preflight, WRONG_PREFIX } from './result.js';

/** A well-formed TCS API key (SPEC §2). */
export interface ParsedTcsKey {
  readonly ok: true;
  readonly kind: 'tcs';
  /** The exact string that was validated. Digest this one (SPEC §3); never log it. */
  readonly key: string;
  /** `[a-z0-9]{1,16}`, e.g. `production` or `sandbox`. */
  readonly environment: string;
}

export type TcsKeyParseResult = ParsedTcsKey | KeyParseFailure;

export interface ParseTcsKeyOptions {
  /**
   * Accept only keys of this environment (`[a-z0-9]{1,16}`); a key of another environment is
   * `wrong-prefix`, since its prefix `tcs_{environment}_` is not the expected one. Default: any.
   */
  readonly environment?: string;
}

const TCS_PREFIX = 'tcs_';
const TCS_SECRET_BYTES = 24; // 48 hex characters, 192 bits
// `tcs_` + 1..16 + `_` + 48
const TCS_KEY_MIN_LENGTH = 54;
const TCS_KEY_MAX_LENGTH = 69;
// The environment class excludes `_`, so the only possible split is the right one.
const TCS_PATTERN = /^tcs_([a-z0-9]{1,16})_[0-9a-f]{48}$/;
const ENVIRONMENT_PATTERN = /^[a-z0-9]{1,16}$/;

function isEnvironment(value: unknown): value is string {
  return typeof value === 'string' && ENVIRONMENT_PATTERN.test(value);
}

/**
 * A new TCS API key `tcs_{environment}_{48 hex}` (54–69 characters, 192-bit secret).
 *
 * @param environment - `[a-z0-9]{1,16}`, e.g. `production` or `sandbox`.
 * @throws TypeError when `environment` is not `[a-z0-9]{1,16}` (a programming error, not user input).
 * @example
 * ```ts
 * const apiKey = generateTcsKey('sandbox'); // 'tcs_sandbox_a1b2…' (60 chars)
 * ```
 */
export function generateTcsKey(environment: string): string {
  if (!isEnvironment(environment)) {
    throw new TypeError('environment must be 1 to 16 characters from [a-z0-9]');
  }
  return `${TCS_PREFIX}${environment}_${randomHex(TCS_SECRET_BYTES)}`;
}

/**
 * Parses an API key of the TCS issuer admin API. Never throws on `input`; accepts any value.
 *
 * Same preliminary checks as {@link parseInstanceKey}; then `tcs_` (or `tcs_{environment}_` when the
 * option is set) must start the value, else `wrong-prefix`; then the exact shape, else `malformed`.
 *
 * @param input - the raw header value, whatever its type.
 * @param options - `environment` to accept one environment only.
 * @throws TypeError only when `options.environment` is given and is not `[a-z0-9]{1,16}` (configuration error).
 * @example
 * ```ts
 * const parsed = parseTcsKey(ctx.get('x-api-key'), { environment: 'production' });
 * if (!parsed.ok) return parsed.reason === 'missing' ? 'API Key is required' : 'Invalid API Key';
 * ```
 */
export function parseTcsKey(input: unknown, options?: ParseTcsKeyOptions): TcsKeyParseResult {
  const expected = options?.environment;
  if (expected !== undefined && !isEnvironment(expected)) {
    throw new TypeError('options.environment must be 1 to 16 characters from [a-z0-9]');
  }

  const key = preflight(input);
  if (typeof key !== 'string') return key;
  if (!key.startsWith(expected === undefined ? TCS_PREFIX : `${TCS_PREFIX}${expected}_`)) return WRONG_PREFIX;
  if (key.length < TCS_KEY_MIN_LENGTH || key.length > TCS_KEY_MAX_LENGTH) return MALFORMED;
  const match = TCS_PATTERN.exec(key);
  if (match === null) return MALFORMED;
  return { ok: true, kind: 'tcs', key, environment: match[1] as string };
}
