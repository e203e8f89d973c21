import { describe, expect, it } from 'vitest';
import { normalizeHttpUri } from './htu.js';

const uri = (input: string) => {
  const result = normalizeHttpUri(input);
  return result.ok ? result.uri : `invalid: ${result.reason}`;
};

describe('normalizeHttpUri', () => {
  it.each([
    ['HTTPS://ISSUER.Example/v1/token', 'https://issuer.example/v1/token'],
    ['https://issuer.example:443/x', 'https://issuer.example/x'],
    ['http://issuer.example:80/x', 'http://issuer.example/x'],
    ['https://issuer.example:/x', 'https://issuer.example/x'],
    ['https://issuer.example:08443/x', 'https://issuer.example:8443/x'],
    ['http://issuer.example:443/x', 'http://issuer.example:443/x'],
    ['https://issuer.example', 'https://issuer.example/'],
    ['https://issuer.example/a/./b/../c', 'https://issuer.example/a/c'],
    ['https://issuer.example/a/..', 'https://issuer.example/'],
    ['https://issuer.example/../../a', 'https://issuer.example/a'],
    ['https://issuer.example/a/.', 'https://issuer.example/a/'],
    ['https://issuer.example/%7euser/%2fx', 'https://issuer.example/~user/%2Fx'],
    ['https://issuer.example/%2E%2E/a', 'https://issuer.example/a'],
    ['https://issuer.example/a%41b', 'https://issuer.example/aAb'],
    ['https://[::1]:8443/x', 'https://[::1]:8443/x'],
    ['https://[2001:DB8::1]/x', 'https://[2001:db8::1]/x'],
    ['https://127.0.0.1/x', 'https://127.0.0.1/x'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(uri(input)).toBe(expected);
  });

  it('reports a query and a fragment and cuts them off', () => {
    expect(normalizeHttpUri('https://a.example/p?q=1#f')).toEqual({
      ok: true,
      uri: 'https://a.example/p',
      hasQuery: true,
      hasFragment: true,
    });
    expect(normalizeHttpUri('https://a.example/p?')).toMatchObject({ hasQuery: true, hasFragment: false });
  });

  it.each([
    ['a relative reference', '/v1/token'],
    ['another scheme', 'ftp://a.example/x'],
    ['a scheme without authority', 'https:a.example/x'],
    ['userinfo', 'https://u:p@a.example/x'],
    ['an empty host', 'https:///x'],
    ['a port above 65535', 'https://a.example:65536/x'],
    ['a non-numeric port', 'https://a.example:44a/x'],
    ['a percent-encoded host', 'https://a%2Eexample/x'],
    ['an invalid percent-encoding', 'https://a.example/%zz'],
    ['a truncated percent-encoding', 'https://a.example/%2'],
    ['a space', 'https://a.example/a b'],
    ['a non-ASCII character', 'https://a.example/é'],
    ['a backslash', 'https://a.example\\x'],
    ['a line break', 'https://a.example/x\n'],
    ['over 4096 characters', `https://a.example/${'a'.repeat(4096)}`],
  ])('refuses %s', (_, input) => {
    expect(normalizeHttpUri(input).ok).toBe(false);
  });
});
