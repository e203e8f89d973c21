import { MICA_PREFIX } from './mica.js';
import { randomHex, randomString } from './random.js';
import type { KeyParseFailure } from './result.js';
import { MALFORMED, preflight, WRONG_PREFIX } from './result.js';

/** A well-formed instance key (SPEC §2). */
export interface ParsedInstanceKey {
  readonly ok: true;
  /** `legacy-instance` for `trusset_v2_…` keys, accepted only with `allowLegacy`. */
  readonly kind: 'instance' | 'legacy-instance';
  /** The exact string that was validated. Digest this one (SPEC §3); never log it. */
  readonly key: string;
  /** `[A-Za-z0-9]{8}`, as it appears in the key. */
  readonly instanceRef: string;
}

export type InstanceKeyParseResult = ParsedInstanceKey | KeyParseFailure;

export interface ParseInstanceKeyOptions {
  /** Also accept `trusset_v2_{instanceRef}_{secret}` (older published docs). Default `false`. */
  readonly allowLegacy?: boolean;
}

const INSTANCE_PREFIX = 'trusset_';
const LEGACY_PREFIX = 'trusset_v2_';

const INSTANCE_KEY_LENGTH = 81;
const LEGACY_KEY_LENGTH = 84;
/** Published length of `keyPreview` (SPEC §2, §4.4). */
const PREVIEW_LENGTH = 20;

// Fixed-count quantifiers over disjoint classes, anchored, run only on strings of an exact length
// (81 or 84): no backtracking to speak of.
const INSTANCE_PATTERN = /^trusset_([A-Za-z0-9]{8})_[0-9a-f]{64}$/;
const LEGACY_PATTERN = /^trusset_v2_([A-Za-z0-9]{8})_[0-9a-f]{64}$/;
const INSTANCE_REF_PATTERN = /^[A-Za-z0-9]{8}$/;

// SPEC §2: generated instanceRefs use lowercase letters and digits only.
const INSTANCE_REF_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const INSTANCE_REF_LENGTH = 8;
const SECRET_BYTES = 32; // 64 hex characters, 256 bits

/**
 * A new random instanceRef: 8 characters from `[a-z0-9]`, uniform (about 41 bits).
 *
 * Random is not unique: 36^8 ≈ 2.8 × 10^12 values, so the caller stores it under a unique
 * constraint and draws again on a conflict.
 *
 * @example
 * ```ts
 * const ref = generateInstanceRef(); // 'k3x9q0ab'
 * ```
 */
export function generateInstanceRef(): string {
  return randomString(INSTANCE_REF_LENGTH, INSTANCE_REF_ALPHABET);
}

/**
 * A new instance key `trusset_{instanceRef}_{64 hex}` (81 characters, 256-bit secret).
 *
 * @param instanceRef - the instance's reference, `[A-Za-z0-9]{8}`.
 * @throws TypeError when `instanceRef` is not `[A-Za-z0-9]{8}`: that is a programming error, not user input.
 * @example
 * ```ts
 * const key = generateInstanceKey('k3x9q0ab'); // 'trusset_k3x9q0ab_9f…' (81 chars)
 * ```
 */
export function generateInstanceKey(instanceRef: string): string {
  if (typeof instanceRef !== 'string' || !INSTANCE_REF_PATTERN.test(instanceRef)) {
    throw new TypeError('instanceRef must be 8 characters from [A-Za-z0-9]');
  }
  return `${INSTANCE_PREFIX}${instanceRef}_${randomHex(SECRET_BYTES)}`;
}

/**
 * Parses an `X-API-Key` value as an instance key. Never throws; accepts any value.
 *
 * Order: `undefined`/`null` → `missing`; any other non-string, or a string longer than 256 →
 * `malformed`; empty or only spaces/tabs → `missing`; not starting with `trusset_`, or starting with
 * `trusset_mica_` → `wrong-prefix`; otherwise the exact shape or `malformed`. Hex must be lowercase;
 * nothing is trimmed.
 *
 * @param input - the raw header value, whatever its type.
 * @param options - `allowLegacy` to accept `trusset_v2_…` keys (otherwise they are `malformed`).
 * @example
 * ```ts
 * const parsed = parseInstanceKey(ctx.get('x-api-key'));
 * if (!parsed.ok) return parsed.reason === 'missing' ? 'AUTH_REQUIRED' : 'AUTH_FAILED';
 * const digest = sha256Hex(parsed.key);
 * ```
 */
export function parseInstanceKey(input: unknown, options?: ParseInstanceKeyOptions): InstanceKeyParseResult {
  const key = preflight(input);
  if (typeof key !== 'string') return key;

  // SPEC §2: MiCA keys share `trusset_`; they are ruled out by name first, not left to the accident
  // that `mica_` cannot fill an 8-character instanceRef.
  if (key.startsWith(MICA_PREFIX) || !key.startsWith(INSTANCE_PREFIX)) return WRONG_PREFIX;

  // A current key has `_` at index 16, after an alphanumeric ref, so it can never start with
  // `trusset_v2_` (`_` at index 10): the two shapes are disjoint.
  if (key.startsWith(LEGACY_PREFIX)) {
    if (options?.allowLegacy !== true || key.length !== LEGACY_KEY_LENGTH) return MALFORMED;
    const match = LEGACY_PATTERN.exec(key);
    if (match === null) return MALFORMED;
    return { ok: true, kind: 'legacy-instance', key, instanceRef: match[1] as string };
  }

  if (key.length !== INSTANCE_KEY_LENGTH) return MALFORMED;
  const match = INSTANCE_PATTERN.exec(key);
  if (match === null) return MALFORMED;
  return { ok: true, kind: 'instance', key, instanceRef: match[1] as string };
}

/**
 * The published `keyPreview` of an instance key: its first 20 characters (SPEC §2, §4.4).
 *
 * For a current key that is `trusset_` + instanceRef + `_` + 3 hex of the secret (12 of 256 bits);
 * for a legacy key it ends at the `_` after the instanceRef and shows no secret.
 *
 * @param instanceKey - a well-formed instance key (current or legacy), e.g. one just generated.
 * @throws TypeError when `instanceKey` is not a well-formed instance key (the message never contains it).
 * @example
 * ```ts
 * keyPreview(generateInstanceKey('k3x9q0ab')); // 'trusset_k3x9q0ab_9f4'
 * ```
 */
export function keyPreview(instanceKey: string): string {
  if (!parseInstanceKey(instanceKey, { allowLegacy: true }).ok) {
    throw new TypeError('keyPreview expects a well-formed instance key');
  }
  return instanceKey.slice(0, PREVIEW_LENGTH);
}
