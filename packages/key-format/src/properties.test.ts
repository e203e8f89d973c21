// Property tests (fast-check) over every parser and generator: SPEC §2 and §8 "hostile input never
// yields a crash", and the round-trip and redaction guarantees the apps rely on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyKind } from '../test/arbitraries.js';
import { anyString, anyValue, isValidResult, LOWER_HEX, legacyKey, sampleKey } from '../test/arbitraries.js';
import type { KeyParseFailureReason } from './index.js';
import {
  generateInstanceKey,
  generateInstanceRef,
  generateManagementToken,
  generateMicaKey,
  generateTcsKey,
  parseInstanceKey,
  parseManagementToken,
  parseMicaKey,
  parseTcsKey,
  REDACTED_MISSING,
  REDACTED_UNKNOWN,
  redactKey,
} from './index.js';

const RUNS = { numRuns: 1000 };
const ALL_REASONS: readonly KeyParseFailureReason[] = ['missing', 'wrong-prefix', 'malformed'];

interface ParserCase {
  readonly name: string;
  readonly parse: (input: unknown) => unknown;
  readonly kinds: readonly KeyKind[];
  readonly reasons: readonly KeyParseFailureReason[];
}

const PARSERS: readonly ParserCase[] = [
  { name: 'parseInstanceKey', parse: (v) => parseInstanceKey(v), kinds: ['instance'], reasons: ALL_REASONS },
  {
    name: 'parseInstanceKey with allowLegacy',
    parse: (v) => parseInstanceKey(v, { allowLegacy: true }),
    kinds: ['instance', 'legacy-instance'],
    reasons: ALL_REASONS,
  },
  { name: 'parseMicaKey', parse: parseMicaKey, kinds: ['mica'], reasons: ALL_REASONS },
  {
    name: 'parseManagementToken',
    parse: parseManagementToken,
    kinds: ['management-token'],
    reasons: ['missing', 'malformed'],
  },
  { name: 'parseTcsKey', parse: (v) => parseTcsKey(v), kinds: ['tcs'], reasons: ALL_REASONS },
  {
    name: 'parseTcsKey with an environment',
    parse: (v) => parseTcsKey(v, { environment: 'production' }),
    kinds: ['tcs'],
    reasons: ALL_REASONS,
  },
];

/** Which parser accepts a key of each kind (parseInstanceKey with allowLegacy for legacy keys). */
function parseAs(kind: KeyKind, key: string): unknown {
  switch (kind) {
    case 'instance':
      return parseInstanceKey(key);
    case 'legacy-instance':
      return parseInstanceKey(key, { allowLegacy: true });
    case 'mica':
      return parseMicaKey(key);
    case 'management-token':
      return parseManagementToken(key);
    case 'tcs':
      return parseTcsKey(key);
  }
}

/** The longest part of a key of each kind that redaction may show (SPEC §2). */
const MAX_REVEALED: Record<KeyKind, number> = {
  instance: 20,
  'legacy-instance': 20,
  mica: 22,
  'management-token': 0,
  tcs: 'tcs_'.length + 16 + 1,
};

function parsesAsAnyKey(value: string): boolean {
  return (
    parseInstanceKey(value, { allowLegacy: true }).ok ||
    parseMicaKey(value).ok ||
    parseManagementToken(value).ok ||
    parseTcsKey(value).ok
  );
}

describe('property: any input in, a typed result out, never a throw', () => {
  it.each(PARSERS)('$name returns a documented result for any value', ({ parse, kinds, reasons }) => {
    fc.assert(
      fc.property(anyValue, (input) => {
        expect(isValidResult(parse(input), input, kinds, reasons)).toBe(true);
      }),
      RUNS,
    );
  });

  it.each(PARSERS)('$name returns a documented result for any string', ({ parse, kinds, reasons }) => {
    fc.assert(
      fc.property(anyString, (input) => {
        expect(isValidResult(parse(input), input, kinds, reasons)).toBe(true);
      }),
      RUNS,
    );
  });

  it('redactKey returns a string for any value', () => {
    fc.assert(
      fc.property(anyValue, (input) => {
        expect(typeof redactKey(input)).toBe('string');
      }),
      RUNS,
    );
  });
});

describe('property: generate then parse round-trips', () => {
  it('an instance key keeps its instanceRef', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{8}$/), (ref) => {
        const key = generateInstanceKey(ref);
        expect(parseInstanceKey(key)).toEqual({ ok: true, kind: 'instance', key, instanceRef: ref });
        expect(parseInstanceKey(key, { allowLegacy: true })).toEqual({
          ok: true,
          kind: 'instance',
          key,
          instanceRef: ref,
        });
      }),
      RUNS,
    );
  });

  it('a key on a generated instanceRef keeps it', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const ref = generateInstanceRef();
        const key = generateInstanceKey(ref);
        expect(parseInstanceKey(key)).toEqual({ ok: true, kind: 'instance', key, instanceRef: ref });
      }),
      RUNS,
    );
  });

  it('a legacy instance key keeps its instanceRef when legacy is allowed', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{8}$/), (ref) => {
        const key = legacyKey(ref);
        expect(parseInstanceKey(key, { allowLegacy: true })).toEqual({
          ok: true,
          kind: 'legacy-instance',
          key,
          instanceRef: ref,
        });
      }),
      RUNS,
    );
  });

  it('a MiCA key parses as a MiCA key and never as an instance key', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const key = generateMicaKey();
        expect(parseMicaKey(key)).toEqual({ ok: true, kind: 'mica', key });
        expect(parseInstanceKey(key, { allowLegacy: true })).toEqual({ ok: false, reason: 'wrong-prefix' });
      }),
      RUNS,
    );
  });

  it('a management token parses as itself', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        const token = generateManagementToken();
        expect(parseManagementToken(token)).toEqual({ ok: true, kind: 'management-token', token });
      }),
      RUNS,
    );
  });

  it('a TCS key keeps its environment, with and without the environment option', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]{1,16}$/), (environment) => {
        const key = generateTcsKey(environment);
        const expected = { ok: true, kind: 'tcs', key, environment };
        expect(parseTcsKey(key)).toEqual(expected);
        expect(parseTcsKey(key, { environment })).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('a key of one kind is rejected by the parsers of every other kind', () => {
    fc.assert(
      fc.property(sampleKey, ({ kind, key }) => {
        const accepted = [
          parseInstanceKey(key, { allowLegacy: true }).ok,
          parseMicaKey(key).ok,
          parseManagementToken(key).ok,
          parseTcsKey(key).ok,
        ];
        expect(accepted.filter(Boolean)).toHaveLength(1);
        expect((parseAs(kind, key) as { ok: boolean }).ok).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('property: redaction reveals no more than the published preview', () => {
  it('shows a prefix of a generated key within its bound, followed by an ellipsis', () => {
    fc.assert(
      fc.property(sampleKey, ({ kind, key, secretStart }) => {
        const redacted = redactKey(key);
        expect(redacted.endsWith('…')).toBe(true);
        const revealed = redacted.slice(0, -1);
        expect(key.startsWith(revealed)).toBe(true);
        expect(revealed.length).toBeLessThanOrEqual(MAX_REVEALED[kind]);
        // TCS keys and management tokens show none of their secret at all.
        if (kind === 'tcs' || kind === 'management-token') expect(revealed.length).toBe(secretStart);
      }),
      RUNS,
    );
  });

  it('returns a fixed placeholder or a bounded key prefix for any string, with no control characters', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        const redacted = redactKey(input);
        if (redacted === REDACTED_MISSING || redacted === REDACTED_UNKNOWN) return;
        expect(redacted).toMatch(/^[A-Za-z0-9_]{0,22}…$/);
        expect(input.startsWith(redacted.slice(0, -1))).toBe(true);
        expect(parsesAsAnyKey(input)).toBe(true);
      }),
      RUNS,
    );
  });

  it('never shows 8 consecutive characters of a string that is not a key', () => {
    fc.assert(
      fc.property(anyString, (input) => {
        fc.pre(!parsesAsAnyKey(input));
        const redacted = redactKey(input);
        expect([REDACTED_MISSING, REDACTED_UNKNOWN]).toContain(redacted);
        for (let i = 0; i + 8 <= input.length; i++) {
          const window = input.slice(i, i + 8);
          // Only a coincidence with the fixed placeholder text itself may match.
          if (redacted.includes(window)) expect(`${REDACTED_MISSING}${REDACTED_UNKNOWN}`).toContain(window);
        }
      }),
      RUNS,
    );
  });
});

describe('property: one bad character in a secret makes the key malformed', () => {
  const notLowerHex = fc
    .string({ unit: 'binary', minLength: 1, maxLength: 1 })
    .filter((c) => !LOWER_HEX.includes(c));

  it('replacing any secret character by a non-lowercase-hex character gives malformed', () => {
    fc.assert(
      fc.property(sampleKey, fc.nat(), notLowerHex, ({ kind, key, secretStart }, n, c) => {
        const at = secretStart + (n % (key.length - secretStart));
        const mutated = key.slice(0, at) + c + key.slice(at + 1);
        expect(parseAs(kind, mutated)).toEqual({ ok: false, reason: 'malformed' });
      }),
      RUNS,
    );
  });

  it('replacing a secret character by its uppercase form gives malformed', () => {
    fc.assert(
      fc.property(sampleKey, fc.nat(), ({ kind, key, secretStart }, n) => {
        const letters = [...key.slice(secretStart)].flatMap((c, i) =>
          /[a-f]/.test(c) ? [i + secretStart] : [],
        );
        fc.pre(letters.length > 0);
        const at = letters[n % letters.length] as number;
        const mutated = key.slice(0, at) + key.charAt(at).toUpperCase() + key.slice(at + 1);
        expect(parseAs(kind, mutated)).toEqual({ ok: false, reason: 'malformed' });
      }),
      RUNS,
    );
  });
});

describe('property: generated instanceRefs', () => {
  it('are 8 characters from [a-z0-9]', () => {
    fc.assert(
      fc.property(fc.constant(null), () => {
        expect(generateInstanceRef()).toMatch(/^[a-z0-9]{8}$/);
      }),
      RUNS,
    );
  });

  it('use all 36 characters, none absurdly more often than the others, over many samples', () => {
    const samples = 2000; // 16 000 characters, about 444 of each
    const counts = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      for (const c of generateInstanceRef()) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect([...counts.keys()].sort().join('')).toBe('0123456789abcdefghijklmnopqrstuvwxyz');
    // A loose sanity bound (±50 %, more than 10 standard deviations): catches a broken mapping,
    // not a subtle bias. The exact no-bias proof is in random.test.ts.
    const expected = (samples * 8) / 36;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.5);
      expect(count).toBeLessThan(expected * 1.5);
    }
  });
});
