// W3C did:key method (https://w3c-ccg.github.io/did-key-spec/), restricted to the two key types the
// issuer signs with: Ed25519 (`eddsa_did`) and P-256 (`es256_x509`).
//
//   did:key:<multibase>   multibase = 'z' + base58btc( unsigned-varint(multicodec) ‖ raw public key )
//
//   Ed25519  multicodec 0xed   (varint ed 01)  + 32-byte public key          → did:key:z6Mk…
//   P-256    multicodec 0x1200 (varint 80 24)  + 33-byte compressed SEC1 point → did:key:zDn…
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { Result } from '@portcullis/errors';
import bs58 from 'bs58';
import type { JWK } from 'jose';

/** The JOSE algorithm a did:key signs with: `EdDSA` ↔ Ed25519 (OKP), `ES256` ↔ P-256 (EC). */
export type DidKeyAlgorithm = 'EdDSA' | 'ES256';

/** A parsed or derived did:key with its verification method and public JWK. */
export interface DidKey {
  /** `did:key:z6Mk…` (Ed25519) or `did:key:zDn…` (P-256, compressed point). */
  did: string;
  /** `${did}#${multibaseValue}`, the single verification method of a did:key document. */
  verificationMethod: string;
  algorithm: DidKeyAlgorithm;
  /** Public members only: `{ kty:'OKP', crv:'Ed25519', x }` or `{ kty:'EC', crv:'P-256', x, y }`. */
  publicJwk: JWK;
}

/** Result of {@link parseDidKey}: the did:key, or why it was refused. */
export type ParseDidKeyResult = Result<DidKey, 'malformed' | 'unsupported_key_type'>;

/** Why {@link checkDidKeyImport} refuses a DID and private JWK (in the order it checks). */
export type DidKeyImportRefusal =
  | 'malformed_did'
  | 'unsupported_key_type'
  | 'algorithm_mismatch'
  | 'invalid_private_jwk'
  | 'key_mismatch';

/** Result of {@link checkDidKeyImport}: the DID and its normalised private JWK, or why not. */
type DidKeyImportResult = Result<{ didKey: DidKey; privateJwk: JWK }, DidKeyImportRefusal>;

/** Longest string {@link parseDidKey} looks at; real did:keys of our types are 56–57 characters. */
const MAX_DID_LENGTH = 256;
const DID_KEY_PREFIX = 'did:key:';

// Multicodec table (https://github.com/multiformats/multicodec/blob/master/table.csv).
const MULTICODEC_ED25519_PUB = 0xed;
const MULTICODEC_P256_PUB = 0x1200;
const ED25519_VARINT = Uint8Array.of(0xed, 0x01);
const P256_VARINT = Uint8Array.of(0x80, 0x24);

// SubjectPublicKeyInfo header for a P-256 key with a 33-byte compressed point (RFC 5480 §2):
// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) }.
const P256_COMPRESSED_SPKI_PREFIX = Buffer.from(
  '3039301306072a8648ce3d020106082a8648ce3d030107032200',
  'hex',
);
// PKCS #8 header for a raw 32-byte Ed25519 private key (RFC 8410 §7).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// ---------------------------------------------------------------------------------------------------------
// helpers

const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

/** Strict base64url (RFC 7515 §2, no padding) of exactly 32 bytes, else undefined. */
function decodeBase64Url32(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !BASE64URL_32_BYTES.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  // The 43rd character carries 2 spare bits; a non-canonical one would decode to the same bytes.
  return bytes.length === 32 && bytes.toString('base64url') === value ? bytes : undefined;
}

/** Unsigned varint (multiformats/unsigned-varint): minimal encoding, at most 9 bytes. */
function readVarint(bytes: Uint8Array): { value: number; length: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 9 && i < bytes.length; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      // A trailing zero byte after a continuation is a non-minimal encoding, which the spec forbids.
      if (i > 0 && byte === 0) return undefined;
      return { value, length: i + 1 };
    }
  }
  return undefined;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function makeDidKey(multibaseValue: string, algorithm: DidKeyAlgorithm, publicJwk: JWK): DidKey {
  const did = `${DID_KEY_PREFIX}${multibaseValue}`;
  return { did, verificationMethod: `${did}#${multibaseValue}`, algorithm, publicJwk };
}

function ed25519DidKey(x: Uint8Array): DidKey {
  const multibaseValue = `z${bs58.encode(concatBytes(ED25519_VARINT, x))}`;
  return makeDidKey(multibaseValue, 'EdDSA', {
    kty: 'OKP',
    crv: 'Ed25519',
    x: Buffer.from(x).toString('base64url'),
  });
}

/** `x`, `y` are the 32-byte affine coordinates of a point already known to be on P-256. */
function p256DidKey(x: Uint8Array, y: Uint8Array): DidKey {
  // SEC 1 §2.3.3 point compression: 0x02 for even y, 0x03 for odd y, then x.
  const compressed = concatBytes(Uint8Array.of(0x02 | ((y[31] as number) & 1)), x);
  const multibaseValue = `z${bs58.encode(concatBytes(P256_VARINT, compressed))}`;
  return makeDidKey(multibaseValue, 'ES256', {
    kty: 'EC',
    crv: 'P-256',
    x: Buffer.from(x).toString('base64url'),
    y: Buffer.from(y).toString('base64url'),
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// public API

/**
 * The did:key of an Ed25519 or P-256 JWK. Only the public members are read (`kty`, `crv`, `x`, `y`),
 * so a private JWK works too and its `d` never reaches the result. A P-256 key must be a point on the
 * curve. An `alg` member, when present, must agree with the key type (`EdDSA`/`Ed25519` for OKP,
 * `ES256` for EC).
 *
 * @throws TypeError for anything else (another kty/crv, missing or badly encoded coordinates).
 * @example
 * const { did, verificationMethod } = didKeyFromPublicJwk({
 *   kty: 'OKP', crv: 'Ed25519', x: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik',
 * });
 * // did === 'did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp'
 */
export function didKeyFromPublicJwk(jwk: JWK): DidKey {
  if (!isRecord(jwk)) throw new TypeError('expected a JWK object');
  const { kty, crv, alg } = jwk;
  if (kty === 'OKP' && crv === 'Ed25519') {
    if (alg !== undefined && alg !== 'EdDSA' && alg !== 'Ed25519') {
      throw new TypeError('JWK alg does not match an Ed25519 key');
    }
    const x = decodeBase64Url32(jwk.x);
    if (x === undefined) throw new TypeError('Ed25519 JWK x must be 32 bytes of base64url');
    return ed25519DidKey(x);
  }
  if (kty === 'EC' && crv === 'P-256') {
    if (alg !== undefined && alg !== 'ES256') throw new TypeError('JWK alg does not match a P-256 key');
    const x = decodeBase64Url32(jwk.x);
    const y = decodeBase64Url32(jwk.y);
    if (x === undefined || y === undefined) {
      throw new TypeError('P-256 JWK x and y must each be 32 bytes of base64url');
    }
    try {
      // OpenSSL refuses a point that is not on the curve.
      const xy = { x: x.toString('base64url'), y: y.toString('base64url') };
      createPublicKey({ key: { kty: 'EC', crv: 'P-256', ...xy }, format: 'jwk' });
    } catch {
      throw new TypeError('P-256 JWK is not a point on the curve');
    }
    return p256DidKey(x, y);
  }
  throw new TypeError('only Ed25519 (OKP) and P-256 (EC) JWKs have a did:key here');
}

/**
 * Parses a did:key of an Ed25519 or P-256 key and recovers its public JWK. Never throws, on any input.
 *
 * `malformed`: not a string, longer than 256 characters, not `did:key:` + `z` + base58btc, a bad or
 * non-minimal varint, a key of the wrong length, or a P-256 point that is not on the curve.
 * `unsupported_key_type`: a well-formed multicodec other than Ed25519 (0xed) or P-256 (0x1200).
 * DID URLs (with `#fragment`, `?query` or a path) are malformed: pass the DID itself.
 *
 * @example
 * const parsed = parseDidKey('did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169');
 * if (parsed.ok) parsed.publicJwk; // { kty: 'EC', crv: 'P-256', x: 'fyNYMN09…', y: 'hW2ojTNf…' }
 * parseDidKey('did:web:example.com'); // { ok: false, reason: 'malformed' }
 */
export function parseDidKey(did: unknown): ParseDidKeyResult {
  try {
    return parseDidKeyUnsafe(did);
  } catch {
    // Defensive: nothing below is expected to throw, but the contract is "never throws".
    return { ok: false, reason: 'malformed' };
  }
}

function parseDidKeyUnsafe(did: unknown): ParseDidKeyResult {
  const malformed = { ok: false, reason: 'malformed' } as const;
  if (typeof did !== 'string' || did.length > MAX_DID_LENGTH || !did.startsWith(DID_KEY_PREFIX)) {
    return malformed;
  }
  const multibaseValue = did.slice(DID_KEY_PREFIX.length);
  // did:key §3.1: the method-specific id is a multibase base58btc ('z') value.
  if (!multibaseValue.startsWith('z')) return malformed;
  // bs58 (Bitcoin alphabet) answers undefined for any character outside it, whitespace included.
  const bytes = bs58.decodeUnsafe(multibaseValue.slice(1));
  if (bytes === undefined) return malformed;
  const codec = readVarint(bytes);
  if (codec === undefined) return malformed;
  const key = bytes.subarray(codec.length);

  if (codec.value === MULTICODEC_ED25519_PUB) {
    if (key.length !== 32) return malformed;
    return { ok: true, ...ed25519DidKey(key) };
  }
  if (codec.value === MULTICODEC_P256_PUB) {
    if (key.length !== 33 || (key[0] !== 0x02 && key[0] !== 0x03)) return malformed;
    let jwk: JWK;
    try {
      // Decompression and the on-curve check in one step: OpenSSL parses the SPKI and refuses an
      // x with no matching y.
      const spki = Buffer.concat([P256_COMPRESSED_SPKI_PREFIX, key]);
      jwk = createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'jwk' }) as JWK;
    } catch {
      return malformed;
    }
    const x = decodeBase64Url32(jwk.x);
    const y = decodeBase64Url32(jwk.y);
    if (x === undefined || y === undefined) return malformed;
    return { ok: true, ...p256DidKey(x, y) };
  }
  return { ok: false, reason: 'unsupported_key_type' };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A new key pair (node:crypto) and its did:key. `privateJwk` is `{ kty, crv, x, [y], d }`: store it
 * sealed (see `seal.ts`), never log it.
 *
 * @example
 * const { didKey, privateJwk } = await generateDidKey('EdDSA');
 * didKey.did; // 'did:key:z6Mk…'
 * didKey.verificationMethod; // 'did:key:z6Mk…#z6Mk…', the JWS `kid`
 */
export async function generateDidKey(
  algorithm: DidKeyAlgorithm,
): Promise<{ didKey: DidKey; privateJwk: JWK }> {
  let privateKey: KeyObject;
  if (algorithm === 'EdDSA') {
    ({ privateKey } = await generateKeyPairAsync('ed25519'));
  } else if (algorithm === 'ES256') {
    ({ privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' }));
  } else {
    throw new TypeError('algorithm must be EdDSA or ES256');
  }
  const exported = privateKey.export({ format: 'jwk' }) as JWK;
  const didKey = didKeyFromPublicJwk(exported);
  return { didKey, privateJwk: { ...didKey.publicJwk, d: exported.d as string } };
}

/**
 * Checks a `POST /v1/did/import { did, privateJwk }` body. Never throws.
 *
 * The public key is derived from the private scalar/seed `d` alone — Ed25519 from a PKCS #8 built
 * from `d`, P-256 as d·G (which also refuses d = 0 or d ≥ n) — and must equal the DID's key, so a
 * caller cannot pair a DID's `x`/`y` with the `d` of another key. (node:crypto's
 * `createPublicKey(createPrivateKey(jwk))` would hand back the caller's `x`/`y` for EC keys.) The JWK must
 * also import with `createPrivateKey({ format: 'jwk' })` and its own `x`/`y` must agree with `d`.
 *
 * Checked in this order: the DID (`malformed_did`, `unsupported_key_type`), its algorithm against
 * `expected` (`algorithm_mismatch`), the JWK's shape (`invalid_private_jwk`: not an Ed25519 or P-256
 * private JWK, a `d` that is not 32 bytes of base64url, or not importable), the derived key against
 * the DID's (`key_mismatch`, also for a valid key of the other type), then the JWK's own `x`/`y`
 * against the derived key (`invalid_private_jwk`).
 *
 * On success `privateJwk` is normalised to `{ kty, crv, x, [y], d }`; other members (kid, alg, …) go.
 *
 * @example
 * const result = checkDidKeyImport(body.did, body.privateJwk, 'EdDSA');
 * if (!result.ok) return problem(400, result.reason);
 * await store.saveDid(result.didKey, sealer.seal(JSON.stringify(result.privateJwk), rowId));
 */
export function checkDidKeyImport(
  did: unknown,
  privateJwk: unknown,
  expected: DidKeyAlgorithm,
): DidKeyImportResult {
  const parsed = parseDidKey(did);
  if (!parsed.ok) {
    return { ok: false, reason: parsed.reason === 'malformed' ? 'malformed_did' : 'unsupported_key_type' };
  }
  if (parsed.algorithm !== expected) return { ok: false, reason: 'algorithm_mismatch' };
  const didKey: DidKey = {
    did: parsed.did,
    verificationMethod: parsed.verificationMethod,
    algorithm: parsed.algorithm,
    publicJwk: parsed.publicJwk,
  };
  try {
    return checkPrivateJwk(didKey, privateJwk);
  } catch {
    // Getters or proxies in a hostile object; node:crypto failures are caught inside.
    return { ok: false, reason: 'invalid_private_jwk' };
  }
}

function checkPrivateJwk(didKey: DidKey, privateJwk: unknown): DidKeyImportResult {
  const invalid = { ok: false, reason: 'invalid_private_jwk' } as const;
  if (!isRecord(privateJwk)) return invalid;
  const { kty, crv, x, y, d } = privateJwk;
  const dBytes = decodeBase64Url32(d);
  if (dBytes === undefined || typeof d !== 'string') return invalid;

  let jwkAlgorithm: DidKeyAlgorithm;
  let members: JWK;
  if (kty === 'OKP' && crv === 'Ed25519') {
    if (decodeBase64Url32(x) === undefined) return invalid;
    jwkAlgorithm = 'EdDSA';
    members = { kty, crv, x: x as string, d };
  } else if (kty === 'EC' && crv === 'P-256') {
    if (decodeBase64Url32(x) === undefined || decodeBase64Url32(y) === undefined) return invalid;
    jwkAlgorithm = 'ES256';
    members = { kty, crv, x: x as string, y: y as string, d };
  } else {
    return invalid;
  }
  try {
    createPrivateKey({ key: members as JsonWebKey, format: 'jwk' });
  } catch {
    return invalid;
  }
  if (jwkAlgorithm !== didKey.algorithm) return { ok: false, reason: 'key_mismatch' };

  const derived = derivePublicJwk(jwkAlgorithm, dBytes);
  if (derived === undefined) return invalid;
  const want = didKey.publicJwk;
  if (derived.x !== want.x || derived.y !== want.y) return { ok: false, reason: 'key_mismatch' };
  // d belongs to the DID; the JWK's own public members must say the same.
  if (x !== want.x || (jwkAlgorithm === 'ES256' && y !== want.y)) return invalid;
  return { ok: true, didKey, privateJwk: { ...want, d } };
}

/** The public coordinates computed from the private key bytes only; undefined if `d` is not a key. */
function derivePublicJwk(algorithm: DidKeyAlgorithm, d: Buffer): { x: string; y?: string } | undefined {
  try {
    if (algorithm === 'EdDSA') {
      const key = createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, d]),
        format: 'der',
        type: 'pkcs8',
      });
      const jwk = createPublicKey(key).export({ format: 'jwk' });
      return typeof jwk.x === 'string' ? { x: jwk.x } : undefined;
    }
    // setPrivateKey computes d·G and throws unless 1 ≤ d < n.
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const point = ecdh.getPublicKey(null, 'uncompressed');
    if (point.length !== 65) return undefined;
    return {
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    };
  } catch {
    return undefined;
  }
}
