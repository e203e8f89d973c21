// Shared fast-check arbitraries and result checks for the key-format tests.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import type { KeyParseFailureReason } from '../src/index.js';
import {
  generateInstanceKey,
  generateManagementToken,
  generateMicaKey,
  generateTcsKey,
} from '../src/index.js';

export const LOWER_HEX = '0123456789abcdef';

export const hexString = (length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...LOWER_HEX), minLength: length, maxLength: length });

/** `[A-Za-z0-9]{8}`: every instanceRef the published format allows, not only generated ones. */
export const instanceRef: fc.Arbitrary<string> = fc.stringMatching(/^[A-Za-z0-9]{8}$/);

export const tcsEnvironment: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9]{1,16}$/);

/** Legacy keys are parsed, never generated; build one the way older deployments did. */
export function legacyKey(ref: string, secret = randomBytes(32).toString('hex')): string {
  return `trusset_v2_${ref}_${secret}`;
}

export type KeyKind = 'instance' | 'legacy-instance' | 'mica' | 'management-token' | 'tcs';

/** A freshly generated key of each kind, with where its secret starts. */
export interface SampleKey {
  readonly kind: KeyKind;
  readonly key: string;
  readonly secretStart: number;
}

export const sampleKey: fc.Arbitrary<SampleKey> = fc.oneof(
  instanceRef.map((ref) => ({ kind: 'instance' as const, key: generateInstanceKey(ref), secretStart: 17 })),
  instanceRef.map((ref) => ({ kind: 'legacy-instance' as const, key: legacyKey(ref), secretStart: 20 })),
  fc.constant(null).map(() => ({ kind: 'mica' as const, key: generateMicaKey(), secretStart: 13 })),
  fc
    .constant(null)
    .map(() => ({ kind: 'management-token' as const, key: generateManagementToken(), secretStart: 0 })),
  tcsEnvironment.map((env) => ({
    kind: 'tcs' as const,
    key: generateTcsKey(env),
    secretStart: env.length + 5,
  })),
);

const knownPrefix = fc.constantFrom(
  'trusset_',
  'trusset_v2_',
  'trusset_mica_',
  'trusset_mica',
  'TRUSSET_',
  'tcs_',
  'tcs_production_',
  'tcs_sandbox_',
  ' trusset_',
);

/**
 * Strings that look like keys without being keys (mostly): a known prefix and a random tail,
 * a real key wrapped in other characters, a real key with one character replaced or removed.
 */
export const nearKey: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(knownPrefix, fc.string({ unit: 'binary', maxLength: 90 })).map(([p, t]) => p + t),
  fc.tuple(knownPrefix, hexString(48)).map(([p, t]) => p + t),
  fc.tuple(knownPrefix, instanceRef, hexString(64)).map(([p, r, t]) => `${p}${r}_${t}`),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 4 }), sampleKey, fc.string({ maxLength: 4 }))
    .map(([a, k, b]) => a + k.key + b),
  fc.tuple(sampleKey, fc.string({ minLength: 1, maxLength: 4 })).map(([k, b]) => k.key + b),
  fc
    .tuple(sampleKey, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
    .map(([k, i, c]) => {
      const at = i % k.key.length;
      return k.key.slice(0, at) + c + k.key.slice(at + 1);
    }),
  fc.tuple(sampleKey, fc.nat()).map(([k, i]) => {
    const at = i % k.key.length;
    return k.key.slice(0, at) + k.key.slice(at + 1);
  }),
);

/** Any string at all: UTF-16 code units (lone surrogates included), graphemes, long runs, near-keys. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary-ascii', minLength: 250, maxLength: 262 }),
  nearKey,
);

/** Any value a header lookup or a careless caller could hand over, including hostile objects. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true, withTypedArray: true }),
  anyString,
  fc.array(anyString, { maxLength: 3 }),
  sampleKey.map((k) => [k.key, k.key]),
  sampleKey.map((k) => new String(k.key)),
  sampleKey.map((k) => ({ toString: () => k.key })),
);

/**
 * Checks that `result` is one of the documented shapes for a parser that may succeed with `kinds`
 * and fail with `reasons`, that a success returns exactly the input it accepted, and that a failure
 * carries nothing but its reason (so it cannot leak the input into a log).
 */
export function isValidResult(
  result: unknown,
  input: unknown,
  kinds: readonly KeyKind[],
  reasons: readonly KeyParseFailureReason[],
): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const r = result as Record<string, unknown>;
  if (r.ok === false) {
    return Object.keys(r).join() === 'ok,reason' && reasons.includes(r.reason as KeyParseFailureReason);
  }
  if (r.ok !== true || !kinds.includes(r.kind as KeyKind)) return false;
  const accepted = r.kind === 'management-token' ? r.token : r.key;
  return typeof input === 'string' && accepted === input;
}
