import { generateKeyPairSync } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { getListFromStatusListJWT, StatusList } from '@sd-jwt/jwt-status-list';
import fc from 'fast-check';
import { decodeProtectedHeader, importJWK, type JWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createCredentialSigner } from './signer.js';
import { encodeStatusList, type StatusListEntry, signStatusListToken } from './status-list-token.js';
import { type CredentialAlgorithm, STATUS_LIST_SIZE, STATUS_LIST_TTL_SECONDS } from './types.js';

const URI = 'https://tcs.example/acme/status/1';
const IAT = 1_767_225_600; // 2026-01-01T00:00:00Z
const EXP = IAT + 86_400;

function signerFor(alg: CredentialAlgorithm) {
  const { privateKey, publicKey } =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return createCredentialSigner({
    alg,
    issuer: alg === 'EdDSA' ? 'did:key:z6Mkissuer' : 'https://tcs.example/acme',
    header: alg === 'EdDSA' ? { kid: 'did:key:z6Mkissuer#z6Mkissuer' } : { x5c: ['MIIBleaf'] },
    privateJwk: privateKey.export({ format: 'jwk' }) as JWK,
    publicJwk: publicKey.export({ format: 'jwk' }) as JWK,
  });
}

const entry = fc.tuple(
  fc.integer({ min: 0, max: STATUS_LIST_SIZE - 1 }),
  fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const),
);

describe('encodeStatusList', () => {
  it('packs 2-bit entries least significant first (the specification example: 0xC9 0x44 0xF9)', () => {
    const statuses = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3] as const;
    const lst = encodeStatusList(
      statuses.map((value, idx): StatusListEntry => [idx, value]),
      12,
    );
    expect(lst).toMatch(/^[A-Za-z0-9_-]+$/);
    // ZLIB format (RFC 1950): inflateSync refuses raw DEFLATE and gzip.
    expect([...inflateSync(Buffer.from(lst, 'base64url'))]).toEqual([0xc9, 0x44, 0xf9]);
  });

  it('covers the whole list: 2^17 entries in 32 KiB, all valid when nothing is given', () => {
    const bytes = inflateSync(Buffer.from(encodeStatusList([]), 'base64url'));
    expect(bytes).toHaveLength(STATUS_LIST_SIZE / 4);
    expect(bytes.every((byte) => byte === 0)).toBe(true);
  });

  it('keeps the last value of an index given twice', () => {
    const lst = encodeStatusList(
      [
        [6, 3],
        [6, 1],
        [7, 2],
      ],
      8,
    );
    expect([...inflateSync(Buffer.from(lst, 'base64url'))]).toEqual([0x00, 0x10 | 0x80]);
  });

  it('refuses indexes outside the list and values outside 0–3', () => {
    const bad: Array<[number, number]> = [
      [-1, 1],
      [STATUS_LIST_SIZE, 1],
      [1.5, 1],
      [Number.NaN, 1],
      [0, 4],
      [0, -1],
      [0, 1.5],
    ];
    for (const pair of bad) {
      expect(() => encodeStatusList([pair as unknown as StatusListEntry])).toThrow(RangeError);
    }
    expect(() => encodeStatusList([], 0)).toThrow(RangeError);
    expect(() => encodeStatusList([], 2 ** 25)).toThrow(RangeError);
  });
});

describe('signStatusListToken', () => {
  it.each(['EdDSA', 'ES256'] as const)(
    'signs a %s token with the status list header and payload',
    async (alg) => {
      const signer = signerFor(alg);
      const lst = encodeStatusList([[3, 1]]);
      const jwt = await signStatusListToken({ signer, uri: URI, lst, issuedAt: IAT, expiresAt: EXP });

      const { payload, protectedHeader } = await jwtVerify(jwt, await importJWK(signer.publicJwk, alg), {
        typ: 'statuslist+jwt',
        currentDate: new Date((IAT + 60) * 1000),
      });
      expect(protectedHeader).toEqual({ alg, typ: 'statuslist+jwt', ...signer.header });
      expect(payload).toEqual({
        iss: signer.issuer,
        sub: URI,
        iat: IAT,
        exp: EXP,
        ttl: STATUS_LIST_TTL_SECONDS,
        status_list: { bits: 2, lst },
      });
      // Another key does not verify it.
      await expect(
        jwtVerify(jwt, await importJWK(signerFor(alg).publicJwk, alg), { currentDate: new Date(IAT * 1000) }),
      ).rejects.toThrow();
    },
  );

  it('decodes with @sd-jwt/jwt-status-list to the entries it was given, including the first and last index', async () => {
    const signer = signerFor('EdDSA');
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 200 }), async (random) => {
        const entries: StatusListEntry[] = [[0, 2], ...random, [STATUS_LIST_SIZE - 1, 1]];
        const expected = new Map<number, number>(entries);
        const jwt = await signStatusListToken({
          signer,
          uri: URI,
          lst: encodeStatusList(entries),
          issuedAt: IAT,
          expiresAt: EXP,
        });
        const list = getListFromStatusListJWT(jwt);
        expect(list).toBeInstanceOf(StatusList);
        expect(list.getBitsPerStatus()).toBe(2);
        expect(list.statusList).toHaveLength(STATUS_LIST_SIZE);
        for (const [idx, value] of expected) expect(list.getStatus(idx)).toBe(value);
        // Entries not given are valid (0); probe the neighbours of the given ones.
        for (const idx of expected.keys()) {
          for (const near of [idx - 1, idx + 1]) {
            if (near >= 0 && near < STATUS_LIST_SIZE && !expected.has(near))
              expect(list.getStatus(near)).toBe(0);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('refuses times that are not whole seconds or an exp not after iat', async () => {
    const signer = signerFor('EdDSA');
    const lst = encodeStatusList([]);
    for (const [issuedAt, expiresAt] of [
      [IAT, IAT],
      [IAT + 1, IAT],
      [IAT + 0.5, EXP],
    ] as const) {
      await expect(signStatusListToken({ signer, uri: URI, lst, issuedAt, expiresAt })).rejects.toThrow(
        RangeError,
      );
    }
    expect(
      decodeProtectedHeader(
        await signStatusListToken({ signer, uri: URI, lst, issuedAt: IAT, expiresAt: EXP }),
      ).typ,
    ).toBe('statuslist+jwt');
  });
});
