import { describe, expect, it } from 'vitest';
import { decodeBase64url, decodeJsonObject, isCanonicalBase64url } from './encoding.js';

describe('base64url', () => {
  it('accepts canonical unpadded base64url only', () => {
    expect(isCanonicalBase64url('')).toBe(true);
    expect(isCanonicalBase64url('AQ')).toBe(true);
    expect(isCanonicalBase64url('AR')).toBe(false);
    expect(isCanonicalBase64url('AQI')).toBe(true);
    expect(isCanonicalBase64url('AQJ')).toBe(false);
    expect(isCanonicalBase64url('A')).toBe(false);
    expect(isCanonicalBase64url('AQ==')).toBe(false);
    expect(isCanonicalBase64url('+/8')).toBe(false);
    expect(decodeBase64url('_-8')).toEqual(Buffer.from([0xff, 0xef]));
  });

  it('decodes a JSON object and nothing else', () => {
    const enc = (text: string) => Buffer.from(text).toString('base64url');
    expect(decodeJsonObject(enc('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeJsonObject(enc('[1]'))).toBeUndefined();
    expect(decodeJsonObject(enc('null'))).toBeUndefined();
    expect(decodeJsonObject(enc('\ufeff{"a":1}'))).toBeUndefined();
    expect(decodeJsonObject(enc('{"a":1}x'))).toBeUndefined();
    expect(decodeJsonObject('')).toBeUndefined();
  });

  it('decodes a JSON object larger than its scratch buffer', () => {
    const big = { pad: 'x'.repeat(20_000) };
    expect(decodeJsonObject(Buffer.from(JSON.stringify(big)).toString('base64url'))).toEqual(big);
  });
});
