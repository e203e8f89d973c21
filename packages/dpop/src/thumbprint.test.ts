import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { accessTokenHash, jwkThumbprint } from './thumbprint.js';

describe('jwkThumbprint', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicJwk = ec.publicKey.export({ format: 'jwk' }) as Record<string, string>;

  it('hashes only the required members, in lexicographic order', () => {
    const { crv, kty, x, y } = publicJwk;
    const expected = createHash('sha256')
      .update(`{"crv":"${crv}","kty":"${kty}","x":"${x}","y":"${y}"}`)
      .digest('base64url');
    expect(jwkThumbprint({ y, x, kty, crv, kid: 'ignored', use: 'sig' })).toBe(expected);
  });

  it('gives a private key the thumbprint of its public key', () => {
    expect(jwkThumbprint(ec.privateKey.export({ format: 'jwk' }))).toBe(jwkThumbprint(publicJwk));
  });

  it('computes OKP and oct thumbprints', () => {
    const okp = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    expect(jwkThumbprint(okp)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(jwkThumbprint({ kty: 'oct', k: 'AAAA' })).toBe(
      createHash('sha256').update('{"k":"AAAA","kty":"oct"}').digest('base64url'),
    );
  });

  it.each([
    ['not an object', 'jwk'],
    ['null', null],
    ['an array', [publicJwk]],
    ['an unknown kty', { ...publicJwk, kty: 'XYZ' }],
    ['a kty inherited from Object.prototype', { ...publicJwk, kty: 'toString' }],
    ['a missing y', { kty: 'EC', crv: 'P-256', x: publicJwk.x }],
    ['a non-string member', { ...publicJwk, x: 1 }],
  ])('returns undefined for %s', (_, jwk) => {
    expect(jwkThumbprint(jwk)).toBeUndefined();
  });
});

describe('accessTokenHash', () => {
  it('is base64url(SHA-256(token)) without padding', () => {
    expect(accessTokenHash('abc')).toBe(createHash('sha256').update('abc').digest('base64url'));
    expect(accessTokenHash('abc')).not.toContain('=');
  });
});
