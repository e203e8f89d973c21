import 'reflect-metadata';
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  verify,
  webcrypto,
  X509Certificate,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { digest } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LocalCa, loadOrCreateCa } from '../crypto/ca.js';
import { generateDidKey } from '../crypto/did-key.js';
import { createSealer } from '../crypto/seal.js';
import { issueSdJwtVc } from './sd-jwt-vc.js';
import { createCredentialSigner } from './signer.js';
import { encodeStatusList, signStatusListToken } from './status-list-token.js';
import type { CredentialAlgorithm, CredentialSigner } from './types.js';

const IAT = 1_767_225_600; // 2026-01-01T00:00:00Z
const EXP = IAT + 365 * 86_400;
const ISSUER_URL = 'https://tcs.example/acme';
const STATUS_URI = 'https://tcs.example/acme/status/1';
const VCT = 'https://tcs.example/acme/vct/employee';
const CLAIMS = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  birthdate: '1815-12-10',
  address: { locality: 'London', country: 'GB' },
  roles: ['analyst', 'author'],
  age_over_18: true,
  employee_number: 42,
  note: 'ünïcødé ✓',
} as const;

let ca: LocalCa;
beforeAll(async () => {
  ca = await loadOrCreateCa({
    dataDir: undefined,
    sealer: createSealer(new Uint8Array(32).fill(7)),
    now: () => IAT * 1000,
  });
});

const holderJwk = (): JWK => {
  const { kty, crv, x, y } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'jwk',
  });
  return { kty, crv, x, y } as JWK;
};

/** A tenant signer as createTenantSigners builds it: EdDSA as a did:key, ES256 with a CA leaf. */
async function tenantSigner(alg: CredentialAlgorithm): Promise<CredentialSigner> {
  const { didKey, privateJwk } = await generateDidKey(alg);
  if (alg === 'EdDSA') {
    return createCredentialSigner({
      alg,
      issuer: didKey.did,
      header: { kid: didKey.verificationMethod },
      privateJwk,
      publicJwk: didKey.publicJwk,
    });
  }
  const leaf = await ca.issueLeaf({ publicJwk: didKey.publicJwk, issuerUrl: ISSUER_URL, commonName: 'acme' });
  return createCredentialSigner({
    alg,
    issuer: ISSUER_URL,
    header: { x5c: [leaf] },
    privateJwk,
    publicJwk: didKey.publicJwk,
  });
}

/** A verifier's signature check from one public key. */
function verifierOf(alg: CredentialAlgorithm, key: KeyObject) {
  return (data: string, signature: string) =>
    alg === 'EdDSA'
      ? verify(null, Buffer.from(data), key, Buffer.from(signature, 'base64url'))
      : verify(
          'sha256',
          Buffer.from(data),
          { key, dsaEncoding: 'ieee-p1363' },
          Buffer.from(signature, 'base64url'),
        );
}

/**
 * The verifying side: signature (key from `kid`'s JWK or the x5c leaf), disclosures, and the
 * status, fetched as a status list token signed by the same issuer with `entries`.
 */
function verifierInstance(
  signer: CredentialSigner,
  key: KeyObject,
  entries: Array<readonly [number, 0 | 1 | 2 | 3]>,
) {
  return new SDJwtVcInstance({
    hasher: digest,
    verifier: verifierOf(signer.alg, key),
    statusListFetcher: async (uri) =>
      signStatusListToken({
        signer,
        uri,
        lst: encodeStatusList(entries),
        issuedAt: IAT,
        expiresAt: IAT + 3600,
      }),
  });
}

const decodeDisclosure = (encoded: string) =>
  JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as [string, string, unknown];

describe.each(['EdDSA', 'ES256'] as const)('issueSdJwtVc with %s', (alg) => {
  let signer: CredentialSigner;
  let holder: JWK;
  let credential: string;
  /** The key a verifier takes: the issuer's JWK (EdDSA) or the leaf of x5c (ES256). */
  let verificationKey: KeyObject;

  beforeAll(async () => {
    signer = await tenantSigner(alg);
    holder = holderJwk();
    credential = await issueSdJwtVc({
      signer,
      vct: VCT,
      claims: CLAIMS,
      holderJwk: holder,
      status: { idx: 4711, uri: STATUS_URI },
      issuedAt: IAT,
      expiresAt: EXP,
    });
    const header = decodeProtectedHeader(credential.split('~')[0] as string);
    verificationKey =
      alg === 'EdDSA'
        ? createPublicKey({ key: signer.publicJwk, format: 'jwk' })
        : new X509Certificate(Buffer.from((header.x5c as string[])[0] as string, 'base64')).publicKey;
  });

  it('verifies with @sd-jwt/sd-jwt-vc, status list included, and discloses every claim', async () => {
    const result = await verifierInstance(signer, verificationKey, [[4711, 0]]).verify(credential, {
      currentDate: IAT + 60,
    });
    expect(result.payload).toMatchObject({
      iss: signer.issuer,
      vct: VCT,
      iat: IAT,
      exp: EXP,
      cnf: { jwk: holder },
      status: { status_list: { idx: 4711, uri: STATUS_URI } },
      ...CLAIMS,
    });
    expect(result.kb).toBeUndefined();
  });

  it('has the header { typ: dc+sd-jwt, alg, kid | x5c } and a frame that discloses nothing of the claims', () => {
    const [jwt, ...rest] = credential.split('~');
    expect(credential.endsWith('~')).toBe(true);
    expect(rest.at(-1)).toBe('');
    const header = decodeProtectedHeader(jwt as string);
    expect(header).toEqual({ typ: 'dc+sd-jwt', alg, ...signer.header });

    const payload = decodeJwt(jwt as string);
    expect(Object.keys(payload).sort()).toEqual([
      '_sd',
      '_sd_alg',
      'cnf',
      'exp',
      'iat',
      'iss',
      'status',
      'vct',
    ]);
    expect(payload).toMatchObject({
      iss: signer.issuer,
      vct: VCT,
      iat: IAT,
      exp: EXP,
      cnf: { jwk: holder },
      status: { status_list: { idx: 4711, uri: STATUS_URI } },
      _sd_alg: 'sha-256',
    });
    const frameText = Buffer.from((jwt as string).split('.')[1] as string, 'base64url').toString('utf8');
    // Every member and value of the frame, however deep: no claim name or value is among them.
    // (A text search for a value like 42 would also find it inside a random digest.)
    const members: unknown[] = [];
    const walk = (node: unknown): void => {
      if (node !== null && typeof node === 'object') {
        for (const [key, child] of Object.entries(node)) {
          members.push(key);
          walk(child);
        }
      } else {
        members.push(node);
      }
    };
    walk(JSON.parse(frameText));
    for (const [name, value] of Object.entries(CLAIMS)) {
      expect(members).not.toContain(name);
      expect(members.some((member) => JSON.stringify(member) === JSON.stringify(value))).toBe(false);
    }
  });

  it('carries one disclosure per claim, each decoding to the claim, its digest in _sd, with a 128-bit salt', () => {
    const [jwt, ...rest] = credential.split('~');
    const disclosures = rest.slice(0, -1);
    expect(disclosures).toHaveLength(Object.keys(CLAIMS).length);
    const decoded = disclosures.map(decodeDisclosure);
    expect(Object.fromEntries(decoded.map(([, name, value]) => [name, value]))).toEqual(CLAIMS);
    for (const [salt] of decoded) expect(Buffer.from(salt, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(new Set(decoded.map(([salt]) => salt)).size).toBe(decoded.length);

    const sd = decodeJwt(jwt as string)._sd as string[];
    const digests = disclosures.map((d) => createHash('sha256').update(d).digest('base64url'));
    expect([...sd].sort()).toEqual([...digests].sort());
  });

  it('never repeats a salt across credentials, past many refills of the salt pool', async () => {
    // 8 claims × 200 credentials = 1 600 salts: more than six refills of the 256-salt pool.
    const salts: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const issued = await issueSdJwtVc({
        signer,
        vct: VCT,
        claims: CLAIMS,
        holderJwk: holder,
        status: { idx: i, uri: STATUS_URI },
        issuedAt: IAT,
        expiresAt: EXP,
      });
      for (const disclosure of issued.split('~').slice(1, -1)) salts.push(decodeDisclosure(disclosure)[0]);
    }
    expect(salts).toHaveLength(200 * Object.keys(CLAIMS).length);
    for (const salt of salts) expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(new Set(salts).size).toBe(salts.length);
    // Not the zeroes a spent part of the pool is overwritten with.
    expect(salts).not.toContain(Buffer.alloc(16).toString('base64url'));
  });

  it('lets the holder disclose some claims only', async () => {
    const instance = verifierInstance(signer, verificationKey, [[4711, 0]]);
    const presentation = await instance.present(credential, { given_name: true, age_over_18: true });
    const { payload } = await instance.verify(presentation, { currentDate: IAT + 60 });
    expect(payload.given_name).toBe('Ada');
    expect(payload.age_over_18).toBe(true);
    for (const hidden of ['family_name', 'birthdate', 'address', 'roles', 'employee_number', 'note']) {
      expect(payload).not.toHaveProperty(hidden);
    }
    expect(payload.iss).toBe(signer.issuer);
    expect(payload.cnf).toEqual({ jwk: holder });
  });

  it('fails verification when revoked on its status list, tampered with, or checked with another key', async () => {
    await expect(
      verifierInstance(signer, verificationKey, [[4711, 1]]).verify(credential, { currentDate: IAT + 60 }),
    ).rejects.toThrow(/Status is not valid/);

    const verifier = verifierInstance(signer, verificationKey, [[4711, 0]]);
    const [jwt, first, ...others] = credential.split('~');
    // A changed frame breaks the signature.
    const [h, p, s] = (jwt as string).split('.');
    const frame = JSON.parse(Buffer.from(p as string, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const changed = Buffer.from(JSON.stringify({ ...frame, exp: EXP + 1 })).toString('base64url');
    await expect(
      verifier.verify([`${h}.${changed}.${s}`, first, ...others].join('~'), { currentDate: IAT + 60 }),
    ).rejects.toThrow();
    // A forged disclosure matches no digest of the frame: its value never comes out as a claim.
    const [salt, name] = decodeDisclosure(first as string);
    const forged = Buffer.from(JSON.stringify([salt, name, 'Mallory'])).toString('base64url');
    const outcome = await verifier.verify([jwt, forged, ...others].join('~'), { currentDate: IAT + 60 }).then(
      (result) => (result.payload as Record<string, unknown>)[name],
      () => 'refused',
    );
    expect(outcome).not.toBe('Mallory');

    const other = await tenantSigner(alg);
    const otherKey = createPublicKey({ key: other.publicJwk, format: 'jwk' });
    await expect(
      verifierInstance(signer, otherKey, [[4711, 0]]).verify(credential, { currentDate: IAT + 60 }),
    ).rejects.toThrow();
  });
});

describe('the x5c of an ES256 credential', () => {
  it('is a leaf of the CA, not self-signed, naming the issuer URL, for the signing key', async () => {
    const signer = await tenantSigner('ES256');
    const credential = await issueSdJwtVc({
      signer,
      vct: VCT,
      claims: { given_name: 'Ada' },
      holderJwk: holderJwk(),
      status: { idx: 0, uri: STATUS_URI },
      issuedAt: IAT,
      expiresAt: EXP,
    });
    const jwt = credential.split('~')[0] as string;
    const x5c = decodeProtectedHeader(jwt).x5c as string[];
    expect(x5c).toHaveLength(1);
    expect(x5c[0]).toMatch(/^[A-Za-z0-9+/]+=*$/);

    const root = new x509.X509Certificate(ca.certificatePem);
    const leaf = new x509.X509Certificate(Buffer.from(x5c[0] as string, 'base64'));
    expect(await leaf.isSelfSigned(webcrypto)).toBe(false);
    expect(await leaf.verify({ publicKey: root.publicKey, date: new Date(IAT * 1000) }, webcrypto)).toBe(
      true,
    );
    const chain = await new x509.X509ChainBuilder({ certificates: [root] }).build(leaf, webcrypto);
    expect(chain).toHaveLength(2);
    expect(chain[1]?.rawData).toEqual(root.rawData);

    const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
    const uris = san?.names.items.filter((n) => n.type === 'url').map((n) => n.value);
    expect(uris).toEqual([ISSUER_URL]);
    expect(decodeJwt(jwt).iss).toBe(uris?.[0]);
    // The certified key is the signer's, and it verifies the credential.
    const certified = createPublicKey({
      key: Buffer.from(leaf.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
    expect(certified.export({ format: 'jwk' })).toEqual(signer.publicJwk);
    const [h, p, s] = jwt.split('.');
    expect(verifierOf('ES256', certified)(`${h}.${p}`, s as string)).toBe(true);
  });
});

describe('issueSdJwtVc refuses', () => {
  const base = async () => ({
    signer: await tenantSigner('EdDSA'),
    vct: VCT,
    claims: { given_name: 'Ada' } as Record<string, unknown>,
    holderJwk: holderJwk(),
    status: { idx: 1, uri: STATUS_URI },
    issuedAt: IAT,
    expiresAt: EXP,
  });

  it('claims that would set the reserved members of the credential', async () => {
    const options = await base();
    for (const reserved of ['iss', 'vct', 'iat', 'nbf', 'exp', 'cnf', 'status', '_sd', '_sd_alg']) {
      await expect(
        issueSdJwtVc({ ...options, claims: { given_name: 'Ada', [reserved]: 'x' } }),
      ).rejects.toThrow(new TypeError(`claims may not set the reserved claim ${reserved}`));
    }
  });

  it('a private holder key, an off-list index, times in milliseconds or an exp not after iat', async () => {
    const options = await base();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const privateJwk = privateKey.export({ format: 'jwk' }) as JWK;
    await expect(issueSdJwtVc({ ...options, holderJwk: privateJwk })).rejects.toThrow(TypeError);
    await expect(issueSdJwtVc({ ...options, holderJwk: {} as JWK })).rejects.toThrow(TypeError);
    await expect(issueSdJwtVc({ ...options, vct: '' })).rejects.toThrow(TypeError);
    for (const idx of [-1, 131_072, 0.5]) {
      await expect(issueSdJwtVc({ ...options, status: { idx, uri: STATUS_URI } })).rejects.toThrow(
        RangeError,
      );
    }
    await expect(issueSdJwtVc({ ...options, status: { idx: 1, uri: '' } })).rejects.toThrow(TypeError);
    await expect(issueSdJwtVc({ ...options, issuedAt: IAT * 1000, expiresAt: EXP * 1000 })).rejects.toThrow(
      RangeError,
    );
    await expect(issueSdJwtVc({ ...options, expiresAt: IAT })).rejects.toThrow(RangeError);
    // The same options otherwise issue.
    expect(await issueSdJwtVc(options)).toMatch(/~$/);
  });
});
