import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateJwkPair } from './keys.js';

describe('generateJwkPair', () => {
  it.each([
    ['ES256', 'EC', 'P-256', 'sha256'],
    ['EdDSA', 'OKP', 'Ed25519', null],
  ] as const)(
    'gives a %s key pair as JWKs whose private half signs what the public half verifies',
    (alg, kty, crv, digest) => {
      const { publicJwk, privateJwk } = generateJwkPair(alg);
      expect(publicJwk).toMatchObject({ kty, crv });
      expect(publicJwk.d).toBeUndefined();
      expect(privateJwk).toMatchObject({ kty, crv, x: publicJwk.x, d: expect.any(String) });
      const data = Buffer.from('signed bytes');
      const signature = sign(digest, data, createPrivateKey({ key: privateJwk, format: 'jwk' }));
      expect(verify(digest, data, createPublicKey({ key: publicJwk, format: 'jwk' }), signature)).toBe(true);
    },
  );

  it('gives a new key every time', () => {
    const xs = new Set(Array.from({ length: 20 }, () => generateJwkPair('ES256').publicJwk.x));
    expect(xs.size).toBe(20);
  });
});
