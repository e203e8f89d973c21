import { describe, expect, expectTypeOf, it } from 'vitest';
import { type CodeOf, defineCatalog } from './catalog.js';
import { CodedError } from './coded-error.js';
import { assertNever, type HttpErrorStatus } from './status.js';

const sample = defineCatalog({
  KEY_REQUIRED: { status: 401, message: 'API key required', headers: { 'X-Hint': 'send X-API-Key' } },
  KEY_BLOCKED: { status: 403, message: 'Key blocked', expose: false },
  STORE_DOWN: { status: 500, message: 'Key store unavailable' },
});
type SampleCode = CodeOf<typeof sample>;

describe('defineCatalog', () => {
  it('lists its codes in definition order, frozen', () => {
    expect(sample.codes).toEqual(['KEY_REQUIRED', 'KEY_BLOCKED', 'STORE_DOWN']);
    expect(Object.isFrozen(sample.codes)).toBe(true);
  });

  it('resolves each spec with expose defaulting to status < 500 and lower-case header names', () => {
    expect(sample.spec('KEY_REQUIRED')).toEqual({
      status: 401,
      message: 'API key required',
      expose: true,
      headers: { 'x-hint': 'send X-API-Key' },
    });
    expect(sample.spec('KEY_BLOCKED').expose).toBe(false);
    expect(sample.spec('STORE_DOWN').expose).toBe(false);
  });

  it('creates errors with the catalog status, message, expose and headers', () => {
    const err = sample.error('KEY_REQUIRED');
    expect(err).toBeInstanceOf(CodedError);
    expect([err.code, err.status, err.message, err.expose]).toEqual([
      'KEY_REQUIRED',
      401,
      'API key required',
      true,
    ]);
    expect(err.headers).toEqual({ 'x-hint': 'send X-API-Key' });
  });

  it('lets the caller override the message, add details, headers, cause and retryAfterSeconds', () => {
    const cause = new Error('inner');
    const err = sample.error('KEY_REQUIRED', {
      message: 'Key required for custody',
      details: { service: 'custody' },
      headers: { 'X-Hint': 'override', 'DPoP-Nonce': 'n1' },
      cause,
      retryAfterSeconds: 5,
    });
    expect(err.message).toBe('Key required for custody');
    expect(err.details).toEqual({ service: 'custody' });
    expect(err.headers).toEqual({ 'x-hint': 'override', 'dpop-nonce': 'n1' });
    expect(err.cause).toBe(cause);
    expect(err.retryAfterSeconds).toBe(5);
  });

  it('recognises only errors it created itself', () => {
    const other = defineCatalog({ KEY_REQUIRED: { status: 401, message: 'Another message' } });
    expect(sample.is(sample.error('KEY_REQUIRED'))).toBe(true);
    expect(sample.is(other.error('KEY_REQUIRED'))).toBe(false);
    expect(
      sample.is(new CodedError({ code: 'KEY_REQUIRED', status: 401, message: 'API key required' })),
    ).toBe(false);
    expect(sample.is({ code: 'KEY_REQUIRED', status: 401 })).toBe(false);
    expect(sample.is(new Error('KEY_REQUIRED'))).toBe(false);
  });

  it('tells whether a string is one of its codes', () => {
    expect(sample.has('STORE_DOWN')).toBe(true);
    expect(sample.has('store_down')).toBe(false);
    expect(sample.has('toString')).toBe(false);
  });

  it('throws at definition time for entries the types forbid when they are bypassed', () => {
    const bad = (spec: unknown) => () =>
      defineCatalog(spec as Record<string, { status: 400; message: string }>);
    expect(bad({ TEAPOT: { status: 418, message: 'x' } })).toThrow(TypeError);
    expect(bad({ EMPTY: { status: 400, message: '' } })).toThrow(TypeError);
    expect(bad({ SPLIT: { status: 400, message: 'x', headers: { 'X-A': 'a\r\nb' } } })).toThrow(TypeError);
    expect(bad({ '': { status: 400, message: 'x' } })).toThrow(TypeError);
  });

  it('refuses, at compile time, a status outside HttpErrorStatus', () => {
    const define = () =>
      defineCatalog({
        // @ts-expect-error 418 is not an HttpErrorStatus
        TEAPOT: { status: 418, message: "I'm a teapot" },
      });
    expect(define).toThrow(TypeError);
  });

  describe('types', () => {
    it('infers the code union from the spec', () => {
      expectTypeOf<SampleCode>().toEqualTypeOf<'KEY_REQUIRED' | 'KEY_BLOCKED' | 'STORE_DOWN'>();
      expectTypeOf(sample.codes).toEqualTypeOf<readonly SampleCode[]>();
      expectTypeOf(sample.error('STORE_DOWN')).toEqualTypeOf<CodedError<'STORE_DOWN'>>();
      expectTypeOf(sample.spec('STORE_DOWN').status).toEqualTypeOf<HttpErrorStatus>();
    });

    it('narrows an unknown error to the catalog code union', () => {
      const err: unknown = sample.error('KEY_BLOCKED');
      if (!sample.is(err)) throw new Error('expected a sample error');
      expectTypeOf(err.code).toEqualTypeOf<SampleCode>();
      expect(err.code).toBe('KEY_BLOCKED');
    });

    it('refuses, at compile time, a code the catalog does not define', () => {
      const make = () =>
        // @ts-expect-error 'KEY_MISSING' is not a SampleCode
        sample.error('KEY_MISSING');
      expect(make).toThrow(TypeError);
    });

    it('makes a switch over the codes that misses one fail to compile', () => {
      // Complete: compiles only because SampleCode is the exact literal union (a widened `string`
      // would make `assertNever(code)` a compile error here too).
      const level = (code: SampleCode): 'warn' | 'error' => {
        switch (code) {
          case 'KEY_REQUIRED':
          case 'KEY_BLOCKED':
            return 'warn';
          case 'STORE_DOWN':
            return 'error';
          default:
            return assertNever(code);
        }
      };
      // Missing STORE_DOWN: the compiler rejects it (checked by `pnpm typecheck`).
      const partial = (code: SampleCode): 'warn' | 'error' => {
        switch (code) {
          case 'KEY_REQUIRED':
          case 'KEY_BLOCKED':
            return 'warn';
          default:
            // @ts-expect-error 'STORE_DOWN' is not handled, so `code` is not `never`
            return assertNever(code);
        }
      };
      expect(level('STORE_DOWN')).toBe('error');
      expect(() => partial('STORE_DOWN')).toThrow(TypeError);
    });
  });
});
