import { createDecipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSealer, parseKeyEncryptionKey, SealError } from './seal.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const SECRET = JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'public-part', d: 'very-secret-d-value' });

/** Flips one bit of the decoded body at `index` and re-encodes. */
function tamper(sealed: string, index: number): string {
  const bytes = Buffer.from(sealed.slice(3), 'base64url');
  bytes[index] = (bytes[index] as number) ^ 0x01;
  return `v1.${bytes.toString('base64url')}`;
}

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('createSealer', () => {
  it('round-trips a private JWK under the same context', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, 'row-1');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain('secret');
    expect(sealer.open(sealed, 'row-1')).toBe(SECRET);
  });

  it('round-trips any well-formed string, including the empty string and astral characters', () => {
    const sealer = createSealer(KEY);
    expect(sealer.open(sealer.seal('', ''), '')).toBe('');
    expect(sealer.open(sealer.seal('\uFEFFbom 😀 é', 'ctx 😀'), 'ctx 😀')).toBe('\uFEFFbom 😀 é');
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        fc.string({ maxLength: 20 }),
        (text, context) => {
          expect(sealer.open(sealer.seal(text, context), context)).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lays the output out as v1. + base64url(iv 12 ‖ tag 16 ‖ ciphertext), AES-256-GCM with the context as AAD', () => {
    const sealed = createSealer(KEY).seal(SECRET, 'row-1');
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    expect(bytes.length).toBe(12 + 16 + Buffer.byteLength(SECRET));
    // Decrypt independently of open().
    const decipher = createDecipheriv('aes-256-gcm', KEY, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from('row-1'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    expect(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')).toBe(
      SECRET,
    );
  });

  it('gives two different outputs for two seals of the same text', () => {
    const sealer = createSealer(KEY);
    const a = sealer.seal(SECRET, 'row-1');
    const b = sealer.seal(SECRET, 'row-1');
    expect(a).not.toBe(b);
    expect(Buffer.from(a.slice(3), 'base64url').subarray(0, 12)).not.toEqual(
      Buffer.from(b.slice(3), 'base64url').subarray(0, 12),
    );
  });

  it('refuses to open under another context', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, 'row-1');
    for (const context of ['row-2', 'row-1 ', 'Row-1', '']) {
      expect(() => sealer.open(sealed, context)).toThrow(SealError);
    }
  });

  it('refuses to open under another key', () => {
    const sealed = createSealer(KEY).seal(SECRET, 'row-1');
    expect(() => createSealer(OTHER_KEY).open(sealed, 'row-1')).toThrow(SealError);
  });

  it('refuses a value with any single bit flipped in the IV, the tag or the ciphertext', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, 'row-1');
    const length = Buffer.from(sealed.slice(3), 'base64url').length;
    for (let index = 0; index < length; index++) {
      expect(() => sealer.open(tamper(sealed, index), 'row-1')).toThrow(SealError);
    }
  });

  it('refuses a truncated or extended value', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, 'row-1');
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    expect(() => sealer.open(`v1.${bytes.subarray(0, -1).toString('base64url')}`, 'row-1')).toThrow(
      SealError,
    );
    expect(() =>
      sealer.open(`v1.${Buffer.concat([bytes, Buffer.of(0)]).toString('base64url')}`, 'row-1'),
    ).toThrow(SealError);
  });

  it.each<[string, unknown]>([
    ['the empty string', ''],
    ['only the prefix', 'v1.'],
    ['another version', 'v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['no version', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['standard base64 characters', `v1.${'+/'.repeat(30)}`],
    ['base64 padding', `v1.${'A'.repeat(40)}==`],
    ['a space inside', `v1.${'A'.repeat(20)} ${'A'.repeat(20)}`],
    ['a length of 4k+1', `v1.${'A'.repeat(41)}`],
    ['a non-canonical last character', `v1.${'A'.repeat(42)}B`],
    ['an IV and tag only (28 zero bytes)', `v1.${Buffer.alloc(28).toString('base64url')}`],
    ['fewer than 28 bytes', `v1.${Buffer.alloc(27).toString('base64url')}`],
    ['a number', 42],
    ['undefined', undefined],
    ['null', null],
    ['an object', { sealed: 'v1.' }],
  ])('throws SealError, not another error, for %s', (_name, sealed) => {
    const sealer = createSealer(KEY);
    expect(thrown(() => sealer.open(sealed as string, 'row-1'))).toBeInstanceOf(SealError);
  });

  it('throws only SealError on arbitrary garbage, for sealed value and context', () => {
    const sealer = createSealer(KEY);
    const sealed = fc.oneof(
      fc.anything(),
      fc.string().map((s) => `v1.${s}`),
      fc.uint8Array({ maxLength: 80 }).map((b) => `v1.${Buffer.from(b).toString('base64url')}`),
    );
    fc.assert(
      fc.property(sealed, fc.oneof(fc.string(), fc.anything()), (s, context) => {
        expect(thrown(() => sealer.open(s as string, context as string))).toBeInstanceOf(SealError);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a context with a lone surrogate, which UTF-8 cannot carry', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, '\uFFFD');
    // Both lone surrogates would become U+FFFD in UTF-8 and so authenticate as '\uFFFD'.
    expect(() => sealer.open(sealed, '\uD800')).toThrow(SealError);
    expect(() => sealer.seal(SECRET, '\uDFFF')).toThrow(TypeError);
    expect(() => sealer.seal('\uD83D', 'row-1')).toThrow(TypeError);
  });

  it('keeps sealed data, plaintext and key out of error messages and out of inspect output', () => {
    const sealer = createSealer(KEY);
    const sealed = sealer.seal(SECRET, 'row-1');
    const error = thrown(() => sealer.open(sealed, 'row-2')) as SealError;
    expect(error.name).toBe('SealError');
    for (const text of [
      error.message,
      String(error.stack),
      inspect(sealer, { showHidden: true, depth: 5 }),
    ]) {
      expect(text).not.toContain(sealed.slice(3, 20));
      expect(text).not.toContain('very-secret');
      expect(text).not.toContain(Buffer.from(KEY).toString('hex'));
      expect(text).not.toContain(Buffer.from(KEY).toString('base64url'));
    }
  });

  it('copies the key, so changing the caller’s array later does not change the sealer', () => {
    const key = Uint8Array.from(KEY);
    const sealer = createSealer(key);
    const sealed = sealer.seal(SECRET, 'row-1');
    key.fill(0);
    expect(sealer.open(sealed, 'row-1')).toBe(SECRET);
  });

  it.each<[string, unknown]>([
    ['31 bytes', new Uint8Array(31)],
    ['33 bytes', new Uint8Array(33)],
    ['16 bytes (AES-128)', new Uint8Array(16)],
    ['an empty array', new Uint8Array(0)],
    ['a hex string', '00'.repeat(32)],
    ['a plain array of 32 numbers', new Array<number>(32).fill(1)],
    ['undefined', undefined],
  ])('throws TypeError for a key of %s', (_name, key) => {
    expect(() => createSealer(key as Uint8Array)).toThrow(TypeError);
  });

  it('accepts a Buffer of 32 bytes as a key', () => {
    const sealer = createSealer(Buffer.from(KEY));
    expect(createSealer(KEY).open(sealer.seal('x', 'c'), 'c')).toBe('x');
  });
});

describe('parseKeyEncryptionKey', () => {
  it('accepts 64 hex characters in either case', () => {
    const hex = Buffer.from(KEY).toString('hex');
    expect(parseKeyEncryptionKey(hex)).toEqual(KEY);
    expect(parseKeyEncryptionKey(hex.toUpperCase())).toEqual(KEY);
  });

  it('accepts 43 base64url characters', () => {
    expect(parseKeyEncryptionKey(Buffer.from(OTHER_KEY).toString('base64url'))).toEqual(OTHER_KEY);
  });

  it('round-trips any 32 random bytes in both encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        expect(parseKeyEncryptionKey(Buffer.from(bytes).toString('hex'))).toEqual(bytes);
        expect(parseKeyEncryptionKey(Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
      }),
    );
  });

  it('returns a key createSealer takes', () => {
    const key = parseKeyEncryptionKey(randomBytes(32).toString('base64url'));
    expect(key).toBeDefined();
    expect(() => createSealer(key as Uint8Array)).not.toThrow();
  });

  const hex = Buffer.from(KEY).toString('hex');
  const b64 = Buffer.from(KEY).toString('base64url');

  it.each<[string, unknown]>([
    ['the empty string', ''],
    ['62 hex characters', hex.slice(2)],
    ['66 hex characters', `${hex}00`],
    ['63 hex characters', hex.slice(1)],
    ['a non-hex character among 64', `${hex.slice(0, 63)}g`],
    ['a 0x prefix', `0x${hex.slice(2)}`],
    ['hex with a trailing newline', `${hex}\n`],
    ['hex with a leading space', ` ${hex}`],
    ['42 base64url characters', b64.slice(1)],
    ['44 base64url characters (33 bytes)', Buffer.alloc(33, 7).toString('base64url')],
    ['base64url with padding', `${b64}=`],
    ['standard base64 (+ and /)', Buffer.alloc(32, 0xfb).toString('base64')],
    ['a non-canonical last base64url character', `${Buffer.alloc(32).toString('base64url').slice(0, 42)}B`],
    ['a 24-byte key in base64url', Buffer.alloc(24, 1).toString('base64url')],
    ['a number', 42],
    ['undefined', undefined],
    ['bytes', Buffer.from(KEY)],
  ])('rejects %s', (_name, text) => {
    expect(parseKeyEncryptionKey(text as string)).toBeUndefined();
  });
});
