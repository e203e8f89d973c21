import { generateKeyPairSync } from 'node:crypto';
import bs58 from 'bs58';
import fc from 'fast-check';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  checkDidKeyImport,
  type DidKeyAlgorithm,
  didKeyFromPublicJwk,
  generateDidKey,
  parseDidKey,
} from './did-key.js';

// W3C did:key test suite vectors (https://w3c-ccg.github.io/did-key-spec/#test-vectors).
const ED25519_DID = 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp';
const ED25519_X = 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik';
const P256_DID = 'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169';
const P256_X = 'fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI';
const P256_Y = 'hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU';

/** `did:key:z` + base58btc(prefix ‖ key). */
function didFromBytes(...parts: number[][]): string {
  return `did:key:z${bs58.encode(Uint8Array.from(parts.flat()))}`;
}

function privateJwkOf(algorithm: DidKeyAlgorithm): JWK {
  const pair =
    algorithm === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.privateKey.export({ format: 'jwk' }) as JWK;
}

describe('parseDidKey', () => {
  it('parses the W3C Ed25519 vector to its public JWK', () => {
    expect(parseDidKey(ED25519_DID)).toEqual({
      ok: true,
      did: ED25519_DID,
      verificationMethod: `${ED25519_DID}#${ED25519_DID.slice('did:key:'.length)}`,
      algorithm: 'EdDSA',
      publicJwk: { kty: 'OKP', crv: 'Ed25519', x: ED25519_X },
    });
  });

  it('parses the W3C P-256 vector, recovering y from the compressed point', () => {
    expect(parseDidKey(P256_DID)).toEqual({
      ok: true,
      did: P256_DID,
      verificationMethod: `${P256_DID}#zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169`,
      algorithm: 'ES256',
      publicJwk: { kty: 'EC', crv: 'P-256', x: P256_X, y: P256_Y },
    });
  });

  it('decodes the vectors to the multicodec prefixes the spec names (checked with bs58)', () => {
    const ed = bs58.decode(ED25519_DID.slice('did:key:z'.length));
    expect([...ed.subarray(0, 2)]).toEqual([0xed, 0x01]);
    expect(Buffer.from(ed.subarray(2)).toString('base64url')).toBe(ED25519_X);
    const p = bs58.decode(P256_DID.slice('did:key:z'.length));
    expect([...p.subarray(0, 2)]).toEqual([0x80, 0x24]);
    expect(p.length).toBe(2 + 33);
    expect(Buffer.from(p.subarray(3)).toString('base64url')).toBe(P256_X);
  });

  const ed25519Key = [...Buffer.from(ED25519_X, 'base64url')];
  const p256Compressed = [...bs58.decode(P256_DID.slice('did:key:z'.length)).subarray(2)];

  it.each([
    ['a did:web', 'did:web:example.com'],
    ['an uppercase method', ED25519_DID.replace('did:key:', 'did:KEY:')],
    ['an uppercase scheme', ED25519_DID.replace('did:', 'DID:')],
    ['no method-specific id', 'did:key:'],
    ['a leading space', ` ${ED25519_DID}`],
    ['the bare multibase value', ED25519_DID.slice('did:key:'.length)],
  ])('reports %s (wrong prefix) as malformed', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['base64url multibase (u)', `did:key:u${Buffer.from([0xed, 0x01, ...ed25519Key]).toString('base64url')}`],
    ['base58flickr multibase (Z)', ED25519_DID.replace('did:key:z', 'did:key:Z')],
    ['no multibase prefix', ED25519_DID.replace('did:key:z', 'did:key:')],
  ])('reports %s (not z multibase) as malformed', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['a 0 character', `${ED25519_DID.slice(0, -1)}0`],
    ['an l character', `${ED25519_DID.slice(0, -1)}l`],
    ['a fragment', `${ED25519_DID}#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp`],
    ['a query', `${ED25519_DID}?service=x`],
    ['a trailing newline', `${ED25519_DID}\n`],
    ['a space inside', `${ED25519_DID.slice(0, 20)} ${ED25519_DID.slice(20)}`],
    ['a capital O', `${ED25519_DID.slice(0, -1)}O`],
    ['a capital I', `${ED25519_DID.slice(0, -1)}I`],
    ['a non-ASCII character', `${ED25519_DID.slice(0, -1)}\u00e9`],
    ['an astral character', `${ED25519_DID.slice(0, -1)}😀`],
    ['only the multibase prefix', 'did:key:z'],
  ])('reports bad base58 (%s) as malformed, and its import as malformed_did', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkDidKeyImport(did, privateJwkOf('EdDSA'), 'EdDSA')).toEqual({
      ok: false,
      reason: 'malformed_did',
    });
  });

  it.each([
    ['secp256k1-pub (0xe7)', didFromBytes([0xe7, 0x01], [0x02, ...new Array<number>(32).fill(7)])],
    ['x25519-pub (0xec)', didFromBytes([0xec, 0x01], ed25519Key)],
    ['p384-pub (0x1201)', didFromBytes([0x81, 0x24], [0x02, ...new Array<number>(48).fill(7)])],
    ['bls12_381-g2-pub (0xeb)', didFromBytes([0xeb, 0x01], new Array<number>(96).fill(7))],
    ['identity (0x00)', didFromBytes([0x00], ed25519Key)],
  ])('reports a wrong multicodec, %s, as unsupported_key_type', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'unsupported_key_type' });
  });

  it.each([
    ['an Ed25519 key of 31 bytes', didFromBytes([0xed, 0x01], ed25519Key.slice(1))],
    ['an Ed25519 key of 33 bytes', didFromBytes([0xed, 0x01], [...ed25519Key, 0])],
    ['a P-256 point of 32 bytes', didFromBytes([0x80, 0x24], p256Compressed.slice(1))],
    ['a P-256 point of 34 bytes', didFromBytes([0x80, 0x24], [...p256Compressed, 0])],
    ['an uncompressed P-256 point', didFromBytes([0x80, 0x24], [0x04, ...Buffer.from(P256_X, 'base64url')])],
    ['an Ed25519 prefix with no key', didFromBytes([0xed, 0x01])],
  ])('reports a wrong length or point encoding, %s, as malformed', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['x = 0x0101…01 (no square root)', [0x02, ...new Array<number>(32).fill(1)]],
    ['x = 2^256 − 1 (not below p)', [0x03, ...new Array<number>(32).fill(0xff)]],
  ])('reports a P-256 point not on the curve, %s, as malformed', (_name, point) => {
    expect(parseDidKey(didFromBytes([0x80, 0x24], point))).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['a truncated varint', didFromBytes([0x80])],
    ['a non-minimal varint for 0xed', didFromBytes([0xed, 0x81, 0x00], ed25519Key)],
    ['a varint longer than 9 bytes', didFromBytes(new Array<number>(10).fill(0xff), [0x01])],
  ])('reports %s as malformed', (_name, did) => {
    expect(parseDidKey(did)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('reports a string over 256 characters as malformed, even one that starts with a valid DID', () => {
    const long = `${ED25519_DID}${'1'.repeat(257 - ED25519_DID.length)}`;
    expect(long.length).toBe(257);
    expect(parseDidKey(long)).toEqual({ ok: false, reason: 'malformed' });
    expect(parseDidKey(`did:key:z${'2'.repeat(100_000)}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array holding the DID', [ED25519_DID]],
    ['a String object', new String(ED25519_DID)],
    ['the DID as bytes', Buffer.from(ED25519_DID)],
    ['an object with toString', { toString: () => ED25519_DID }],
  ])('reports a non-string (%s) as malformed', (_name, input) => {
    expect(parseDidKey(input)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expect(parseDidKey(input).ok).toBe(false);
      }),
    );
  });

  it('never throws on did:key strings built from arbitrary multicodec bytes, and round-trips what it accepts', () => {
    const prefix = fc.constantFrom<number[]>([0xed, 0x01], [0x80, 0x24], [0xe7, 0x01], [0xed], [0x80], []);
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 40 }), (head, body) => {
        const did = didFromBytes(head, [...body]);
        const parsed = parseDidKey(did);
        if (parsed.ok) {
          expect(parsed.did).toBe(did);
          expect(didKeyFromPublicJwk(parsed.publicJwk).did).toBe(did);
        }
      }),
    );
  });

  it('accepts every P-256 x that is on the curve with either parity, and the JWK maps back to the same DID', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x02, 0x03), fc.uint8Array({ minLength: 32, maxLength: 32 }), (tag, x) => {
        const did = didFromBytes([0x80, 0x24], [tag, ...x]);
        const parsed = parseDidKey(did);
        // About half of all x values have a point; the others must be refused, never thrown on.
        if (!parsed.ok) {
          expect(parsed.reason).toBe('malformed');
          return;
        }
        expect(Buffer.from(parsed.publicJwk.y as string, 'base64url').readUInt8(31) & 1).toBe(tag & 1);
        expect(didKeyFromPublicJwk(parsed.publicJwk).did).toBe(did);
      }),
    );
  });
});

describe('didKeyFromPublicJwk', () => {
  it('maps the W3C vectors’ JWKs to their DIDs', () => {
    expect(didKeyFromPublicJwk({ kty: 'OKP', crv: 'Ed25519', x: ED25519_X }).did).toBe(ED25519_DID);
    expect(didKeyFromPublicJwk({ kty: 'EC', crv: 'P-256', x: P256_X, y: P256_Y }).did).toBe(P256_DID);
  });

  it('takes only the public members of a private JWK', () => {
    for (const algorithm of ['EdDSA', 'ES256'] as const) {
      const jwk = privateJwkOf(algorithm);
      const didKey = didKeyFromPublicJwk({ ...jwk, kid: 'k1', use: 'sig' });
      expect(didKey.algorithm).toBe(algorithm);
      expect(didKey.publicJwk).not.toHaveProperty('d');
      expect(didKey.publicJwk).not.toHaveProperty('kid');
      expect(JSON.stringify(didKey)).not.toContain(jwk.d as string);
    }
  });

  it.each<[string, unknown]>([
    ['an RSA key', { kty: 'RSA', n: 'AQAB', e: 'AQAB' }],
    ['an X25519 key', { kty: 'OKP', crv: 'X25519', x: ED25519_X }],
    ['a P-384 key', { kty: 'EC', crv: 'P-384', x: P256_X, y: P256_Y }],
    ['a symmetric key', { kty: 'oct', k: ED25519_X }],
    ['an Ed25519 key without x', { kty: 'OKP', crv: 'Ed25519' }],
    ['an Ed25519 x of 31 bytes', { kty: 'OKP', crv: 'Ed25519', x: ED25519_X.slice(0, 42) }],
    ['an Ed25519 x with padding', { kty: 'OKP', crv: 'Ed25519', x: `${ED25519_X}=` }],
    ['an Ed25519 x in standard base64', { kty: 'OKP', crv: 'Ed25519', x: P256_X.replace('-', '+') }],
    ['a P-256 key without y', { kty: 'EC', crv: 'P-256', x: P256_X }],
    ['a P-256 point off the curve', { kty: 'EC', crv: 'P-256', x: P256_X, y: P256_X }],
    ['an Ed25519 key labelled ES256', { kty: 'OKP', crv: 'Ed25519', x: ED25519_X, alg: 'ES256' }],
    ['a P-256 key labelled EdDSA', { kty: 'EC', crv: 'P-256', x: P256_X, y: P256_Y, alg: 'EdDSA' }],
    ['null', null],
    ['a string', ED25519_DID],
  ])('throws TypeError for %s', (_name, jwk) => {
    expect(() => didKeyFromPublicJwk(jwk as JWK)).toThrow(TypeError);
  });
});

describe('generateDidKey', () => {
  it.each([
    ['EdDSA', 'did:key:z6Mk', 'OKP'],
    ['ES256', 'did:key:zDn', 'EC'],
  ] as const)('creates a %s key whose DID parses back to the same key', async (algorithm, prefix, kty) => {
    const { didKey, privateJwk } = await generateDidKey(algorithm);
    expect(didKey.did.startsWith(prefix)).toBe(true);
    expect(didKey.algorithm).toBe(algorithm);
    expect(parseDidKey(didKey.did)).toEqual({ ok: true, ...didKey });
    expect(privateJwk.kty).toBe(kty);
    expect(Object.keys(privateJwk).sort()).toEqual(
      (kty === 'EC' ? ['crv', 'd', 'kty', 'x', 'y'] : ['crv', 'd', 'kty', 'x']).sort(),
    );
    expect(checkDidKeyImport(didKey.did, privateJwk, algorithm)).toEqual({ ok: true, didKey, privateJwk });
  });

  it('creates a different key each time', async () => {
    const [a, b] = await Promise.all([generateDidKey('EdDSA'), generateDidKey('EdDSA')]);
    expect(a.didKey.did).not.toBe(b.didKey.did);
  });

  it('rejects an unknown algorithm', async () => {
    await expect(generateDidKey('RS256' as DidKeyAlgorithm)).rejects.toThrow(TypeError);
  });
});

describe('checkDidKeyImport', () => {
  it.each(['EdDSA', 'ES256'] as const)('accepts the %s private key of the DID', (algorithm) => {
    const jwk = privateJwkOf(algorithm);
    const did = didKeyFromPublicJwk(jwk).did;
    const result = checkDidKeyImport(did, jwk, algorithm);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.didKey.did).toBe(did);
    expect(result.privateJwk).toEqual({ ...didKeyFromPublicJwk(jwk).publicJwk, d: jwk.d });
  });

  it('normalises the private JWK to kty, crv, x, y, d', () => {
    const jwk = privateJwkOf('ES256');
    const did = didKeyFromPublicJwk(jwk).did;
    const result = checkDidKeyImport(
      did,
      { ...jwk, kid: 'mine', alg: 'ES256', use: 'sig', ext: true },
      'ES256',
    );
    expect(result.ok && Object.keys(result.privateJwk)).toEqual(['kty', 'crv', 'x', 'y', 'd']);
  });

  it.each(['EdDSA', 'ES256'] as const)('reports the %s key of another DID as key_mismatch', (algorithm) => {
    const did = didKeyFromPublicJwk(privateJwkOf(algorithm)).did;
    expect(checkDidKeyImport(did, privateJwkOf(algorithm), algorithm)).toEqual({
      ok: false,
      reason: 'key_mismatch',
    });
  });

  it.each(['EdDSA', 'ES256'] as const)(
    'reports a %s JWK whose x/y match the DID but whose d is another key’s as key_mismatch',
    (algorithm) => {
      const owner = privateJwkOf(algorithm);
      const other = privateJwkOf(algorithm);
      const did = didKeyFromPublicJwk(owner).did;
      // node:crypto keeps the caller's x/y for EC keys, so only a derivation from d catches this.
      expect(checkDidKeyImport(did, { ...owner, d: other.d }, algorithm)).toEqual({
        ok: false,
        reason: 'key_mismatch',
      });
    },
  );

  it('reports a valid key of the other type as key_mismatch', () => {
    expect(checkDidKeyImport(ED25519_DID, privateJwkOf('ES256'), 'EdDSA')).toEqual({
      ok: false,
      reason: 'key_mismatch',
    });
  });

  it('reports the right d with x/y of another key as invalid_private_jwk', () => {
    const owner = privateJwkOf('ES256');
    const other = privateJwkOf('ES256');
    const did = didKeyFromPublicJwk(owner).did;
    expect(checkDidKeyImport(did, { ...other, d: owner.d }, 'ES256')).toEqual({
      ok: false,
      reason: 'invalid_private_jwk',
    });
  });

  it.each(['EdDSA', 'ES256'] as const)('reports a public-only %s JWK as invalid_private_jwk', (algorithm) => {
    const { d: _d, ...publicJwk } = privateJwkOf(algorithm);
    const did = didKeyFromPublicJwk(publicJwk).did;
    expect(checkDidKeyImport(did, publicJwk, algorithm)).toEqual({
      ok: false,
      reason: 'invalid_private_jwk',
    });
  });

  const p256 = privateJwkOf('ES256');
  const p256Did = didKeyFromPublicJwk(p256).did;
  const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'not a jwk'],
    ['the JWK as a JSON string', JSON.stringify(p256)],
    ['an array', [p256]],
    ['an empty object', {}],
    ['a number', 7],
    ['d as a number', { ...p256, d: 1 }],
    ['d of 31 bytes', { ...p256, d: Buffer.alloc(31, 1).toString('base64url') }],
    ['d in standard base64 with padding', { ...p256, d: `${Buffer.alloc(32, 1).toString('base64')}` }],
    ['d = 0', { ...p256, d: Buffer.alloc(32).toString('base64url') }],
    ['d = n, the group order', { ...p256, d: n.toString('base64url') }],
    ['d = 2^256 − 1', { ...p256, d: Buffer.alloc(32, 0xff).toString('base64url') }],
    ['no x', { kty: 'EC', crv: 'P-256', y: p256.y, d: p256.d }],
    ['no kty', { crv: 'P-256', x: p256.x, y: p256.y, d: p256.d }],
    ['an RSA kty', { ...p256, kty: 'RSA' }],
    ['a P-384 crv', { ...p256, crv: 'P-384' }],
    [
      'a getter that throws',
      Object.defineProperty({ ...p256 }, 'd', {
        get: () => {
          throw new Error('boom');
        },
        enumerable: true,
      }),
    ],
  ])('reports a private JWK that is %s as invalid_private_jwk', (_name, jwk) => {
    expect(checkDidKeyImport(p256Did, jwk, 'ES256')).toEqual({ ok: false, reason: 'invalid_private_jwk' });
  });

  it('reports an Ed25519 DID imported as ES256 as algorithm_mismatch', () => {
    const jwk = privateJwkOf('EdDSA');
    const did = didKeyFromPublicJwk(jwk).did;
    expect(checkDidKeyImport(did, jwk, 'ES256')).toEqual({ ok: false, reason: 'algorithm_mismatch' });
    expect(checkDidKeyImport(p256Did, p256, 'EdDSA')).toEqual({ ok: false, reason: 'algorithm_mismatch' });
  });

  it('reports a bad DID as malformed_did and another key type as unsupported_key_type', () => {
    expect(checkDidKeyImport('did:web:example.com', p256, 'ES256')).toEqual({
      ok: false,
      reason: 'malformed_did',
    });
    expect(checkDidKeyImport(undefined, p256, 'ES256')).toEqual({ ok: false, reason: 'malformed_did' });
    const secp256k1 = didFromBytes([0xe7, 0x01], [0x02, ...new Array<number>(32).fill(7)]);
    expect(checkDidKeyImport(secp256k1, p256, 'ES256')).toEqual({
      ok: false,
      reason: 'unsupported_key_type',
    });
  });

  it('never throws, whatever the DID, JWK or expected algorithm', () => {
    const ed = privateJwkOf('EdDSA');
    const did = fc.oneof(fc.anything(), fc.constantFrom(p256Did, didKeyFromPublicJwk(ed).did));
    const jwk = fc.oneof(
      fc.anything(),
      fc.constantFrom(p256, ed),
      fc.record({
        kty: fc.constantFrom('EC', 'OKP', 'RSA'),
        crv: fc.constantFrom('P-256', 'Ed25519', 'X25519'),
        x: fc.oneof(fc.string(), fc.constantFrom(p256.x, ed.x)),
        y: fc.oneof(fc.string(), fc.constant(p256.y)),
        d: fc.oneof(
          fc.string(),
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64url')),
        ),
      }),
    );
    const expected = fc.oneof(fc.constantFrom('EdDSA', 'ES256'), fc.anything());
    fc.assert(
      fc.property(did, jwk, expected, (d, j, e) => {
        const result = checkDidKeyImport(d, j, e as DidKeyAlgorithm);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});
